// `dck issuer`: runs the reference derived-credential issuer service until interrupted (Ctrl-C / SIGTERM).
// Exit codes: 0 stopped cleanly, 1 could not start (bad config names the field) or workers kept dying,
// 2 wrong command line.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ClusterStartError, startIssuerCluster } from '../../issuer/cluster/primary.ts';
import type { IssuerCluster } from '../../issuer/cluster/primary.ts';
import { workerCountForLimits } from '../../issuer/cluster/rate-limit-share.ts';
import { ConfigError } from '../../issuer/config.ts';
import type { IssuerConfig } from '../../issuer/config.ts';
import { readIssuerConfig, startIssuer } from '../../issuer/start-issuer.ts';
import type { RunningIssuer } from '../../issuer/start-issuer.ts';
import { integerOption, parseArgs, UsageError } from '../args.ts';

export const summary = 'run the derived-credential issuer service (device flow, PKI-AUTH, enrollments, CA)';

const MAX_DEFAULT_WORKERS = 8;
const MAX_WORKERS = 64;

const USAGE = `usage: dck issuer [--config FILE] [--data DIR] [--port N] [--workers N]

  --config FILE  JSON configuration (trust anchors, CRL/OCSP sources, lifetimes, OTP, listen address, …);
                 every field is optional and checked at start: a bad value stops the service, naming the field.
  --data DIR     where the SQLite database, server secret, CA key and TLS identity live (default ./dck-issuer-data)
  --port N       listen port (overrides the config; default 8443; 0 = any free port)
  --workers N    processes serving the port (default: the number of CPUs, at most ${MAX_DEFAULT_WORKERS}; 1 = one process).
                 They share the SQLite file; each enforces its share of the rate limits, so together they
                 never allow more than the configured limit.

Listens on 127.0.0.1 unless the config says otherwise. Prints the URL and the TLS certificate path to trust.`;

interface IssuerArgs {
  config?: string;
  data: string;
  port?: number;
  workers: number;
}

function parseIssuerArgs(args: string[]): IssuerArgs | string {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  try {
    const parsed = parseArgs(
      args,
      { '--config': 'value', '--data': 'value', '--port': 'value', '--workers': 'value' },
      'dck issuer',
    );
    const config = parsed['--config'];
    const port = integerOption(parsed['--port'], '--port', 0, 65535);
    return {
      data: parsed['--data'] ?? 'dck-issuer-data',
      workers:
        integerOption(parsed['--workers'], '--workers', 1, MAX_WORKERS) ??
        Math.min(availableParallelism(), MAX_DEFAULT_WORKERS),
      ...(config === undefined ? {} : { config }),
      ...(port === undefined ? {} : { port }),
    };
  } catch (error: unknown) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function printAddresses(url: string, dataDir: string): void {
  console.log(`issuer listening on ${url}`);
  console.log(`data directory: ${dataDir}`);
  console.log(`TLS certificate to trust: ${resolve(dataDir, 'tls-certificate.pem')}`);
  console.log(`issuing CA certificate: ${resolve(dataDir, 'issuing-ca-certificate.pem')}`);
}

/** Resolves with the exit code once SIGINT/SIGTERM has stopped the service (or `ended` settles first). */
function untilStopped(
  stop: () => Promise<void>,
  ended: Promise<number> = new Promise(() => undefined),
): Promise<number> {
  return new Promise<number>((done) => {
    const detach = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    const onSignal = (): void => {
      detach();
      stop().then(
        () => done(0),
        (error: unknown) => {
          console.error(`dck issuer: error while stopping: ${errorText(error)}`);
          done(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void ended.then((code) => {
      detach();
      done(code);
    });
  });
}

async function runSingleProcess(parsed: IssuerArgs, dataDir: string): Promise<number> {
  let issuer: RunningIssuer;
  try {
    issuer = await startIssuer({
      dataDir,
      logStream: process.stdout,
      ...(parsed.config === undefined ? { config: {} } : { configFile: resolve(parsed.config) }),
      ...(parsed.port === undefined ? {} : { port: parsed.port }),
    });
  } catch (error: unknown) {
    console.error(
      error instanceof ConfigError ? `dck issuer: ${error.message}` : `dck issuer: cannot start: ${errorText(error)}`,
    );
    return 1;
  }
  printAddresses(issuer.url, dataDir);
  console.log('workers: 1 (one process)');
  return untilStopped(() => issuer.close());
}

async function runCluster(parsed: IssuerArgs, dataDir: string): Promise<number> {
  let config: IssuerConfig;
  try {
    config = readIssuerConfig(parsed.config === undefined ? { config: {} } : { configFile: resolve(parsed.config) });
  } catch (error: unknown) {
    console.error(
      error instanceof ConfigError ? `dck issuer: ${error.message}` : `dck issuer: cannot start: ${errorText(error)}`,
    );
    return 1;
  }
  const { workers, cappedBy } = workerCountForLimits(parsed.workers, config.rateLimits);
  if (cappedBy !== null) {
    console.log(
      `running ${workers === 1 ? 'one process' : `${workers} workers`}, not ${parsed.workers}: rateLimits.${cappedBy} is ${workers},` +
        ' and each worker enforces a share of it (at least 1)',
    );
  }
  if (workers === 1) return runSingleProcess(parsed, dataDir);
  let cluster: IssuerCluster;
  try {
    cluster = await startIssuerCluster({
      config,
      dataDir,
      workers,
      log: (line) => console.log(line),
      // Debug only: lets the cluster tests see which worker answered. Nothing else sets it.
      debugWorkerHeader: process.env.DCK_ISSUER_DEBUG_WORKER_HEADER === '1',
      ...(parsed.port === undefined ? {} : { port: parsed.port }),
    });
  } catch (error: unknown) {
    // A config error found by the primary itself (the database the config names cannot be opened) or by a worker.
    const named =
      error instanceof ConfigError || (error instanceof ClusterStartError && error.code === 'config-invalid');
    console.error(named ? `dck issuer: ${errorText(error)}` : `dck issuer: cannot start: ${errorText(error)}`);
    return 1;
  }
  printAddresses(cluster.url, dataDir);
  console.log(`workers: ${workers} processes (pids ${cluster.workerPids().join(' ')}; primary pid ${process.pid})`);
  const ended = cluster.stopped.then(({ exitCode, reason }) => {
    if (reason !== null) console.error(`dck issuer: ${reason}`);
    return exitCode;
  });
  return untilStopped(() => cluster.stop(), ended);
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseIssuerArgs(args);
  if (parsed === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (typeof parsed === 'string') {
    console.error(`dck issuer: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  const dataDir = resolve(parsed.data);
  return parsed.workers === 1 ? runSingleProcess(parsed, dataDir) : runCluster(parsed, dataDir);
}

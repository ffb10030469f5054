// `dck issuer`: runs the reference derived-credential issuer service until interrupted (Ctrl-C / SIGTERM).
// Exit codes: 0 stopped cleanly, 1 could not start (bad config names the field), 2 wrong command line.
import { resolve } from 'node:path';
import { ConfigError } from '../../issuer/config.ts';
import { startIssuer } from '../../issuer/start-issuer.ts';

export const summary = 'run the derived-credential issuer service (device flow, PKI-AUTH, enrollments, CA)';

const USAGE = `usage: dck issuer [--config FILE] [--data DIR] [--port N]

  --config FILE  JSON configuration (trust anchors, CRL/OCSP sources, lifetimes, OTP, listen address, …);
                 every field is optional and checked at start: a bad value stops the service, naming the field.
  --data DIR     where the SQLite database, server secret, CA key and TLS identity live (default ./dck-issuer-data)
  --port N       listen port (overrides the config; default 8443; 0 = any free port)

Listens on 127.0.0.1 unless the config says otherwise. Prints the URL and the TLS certificate path to trust.`;

interface IssuerArgs { config?: string; data: string; port?: number }

function parseArgs(args: string[]): IssuerArgs | string {
  const parsed: IssuerArgs = { data: 'dck-issuer-data' };
  for (let i = 0; i < args.length; i += 1) {
    const flag = args[i];
    const value = args[i + 1];
    if (flag === '--help' || flag === '-h') return 'help';
    if (flag !== '--config' && flag !== '--data' && flag !== '--port') return `unknown option ${String(flag).slice(0, 40)}`;
    if (value === undefined || value.length > 4096) return `${flag} needs a value`;
    i += 1;
    if (flag === '--config') parsed.config = value;
    if (flag === '--data') parsed.data = value;
    if (flag === '--port') {
      if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) return '--port must be a number from 0 to 65535';
      parsed.port = Number(value);
    }
  }
  return parsed;
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === 'help') { console.log(USAGE); return 0; }
  if (typeof parsed === 'string') { console.error(`dck issuer: ${parsed}\n\n${USAGE}`); return 2; }
  const dataDir = resolve(parsed.data);
  let issuer;
  try {
    issuer = await startIssuer({
      dataDir,
      ...(parsed.config === undefined ? { config: {} } : { configFile: resolve(parsed.config) }),
      ...(parsed.port === undefined ? {} : { port: parsed.port }),
    });
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      console.error(`dck issuer: ${error.message}`);
      return 1;
    }
    console.error(`dck issuer: cannot start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  console.log(`issuer listening on ${issuer.url}`);
  console.log(`data directory: ${dataDir}`);
  console.log(`TLS certificate to trust: ${resolve(dataDir, 'tls-certificate.pem')}`);
  console.log(`issuing CA certificate: ${resolve(dataDir, 'issuing-ca-certificate.pem')}`);
  const running = issuer;
  return new Promise<number>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      running.close().then(() => done(0), (error: unknown) => {
        console.error(`dck issuer: error while stopping: ${error instanceof Error ? error.message : String(error)}`);
        done(1);
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

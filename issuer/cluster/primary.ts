// `dck issuer --workers N`: the primary process. It creates everything that must exist once (data dir, server
// secret, CA, TLS identity, database schema), forks N workers that each run the issuer on the shared port
// (node:cluster hands connections out round-robin), relays enrollment changes between them, replaces a worker
// that dies (with back-off; the service stops when they die in a loop), and stops them all on stop().
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { IssuerConfig } from '../config.ts';
import { prepareIssuerDataDir } from '../start-issuer.ts';
import { MetricsAggregator } from './metrics-relay.ts';
import { parseWorkerMessage } from './messages.ts';
import type { PrimaryToWorker, WorkerStartOptions } from './messages.ts';
import { RestartPolicy } from './restart-policy.ts';
import type { RestartPolicyOptions } from './restart-policy.ts';

export interface IssuerClusterOptions {
  config: IssuerConfig;
  dataDir: string;
  port?: number;
  workers: number;
  /** Debug only (tests): answers carry the serving worker's pid in `x-dck-debug-worker`. */
  debugWorkerHeader?: boolean;
  /** One line per lifecycle event (worker started, died, replaced). */
  log: (line: string) => void;
  restartPolicy?: RestartPolicyOptions;
}

export interface ClusterStopped {
  /** 0 after stop(), 1 when the workers kept dying. */
  exitCode: number;
  reason: string | null;
}

export interface IssuerCluster {
  url: string;
  port: number;
  /** The pids of the workers running now, by slot. */
  workerPids(): number[];
  stop(): Promise<void>;
  /** Settles once every worker has stopped, after stop() or because workers died in a loop. */
  stopped: Promise<ClusterStopped>;
}

export class ClusterStartError extends Error {
  constructor(
    readonly code: 'config-invalid' | 'start-failed',
    message: string,
  ) {
    super(message);
    this.name = 'ClusterStartError';
  }
}

/** Workers given this long to finish in-flight requests after 'shutdown' before they are killed. */
const STOP_KILL_AFTER_MS = 10_000;
/** A first start that takes longer than this (a worker stuck before listening) fails instead of hanging. */
const START_TIMEOUT_MS = 120_000;

function workerExecArgv(): string[] {
  // Workers run TypeScript too: give them tsx's loader by absolute URL, so it resolves from any working directory.
  const hasTsx = process.execArgv.some((arg) => arg.includes('tsx'));
  return hasTsx ? [...process.execArgv] : [...process.execArgv, '--import', import.meta.resolve('tsx')];
}

function describeExit(code: number | null, signal: string | null): string {
  return signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
}

function sendTo(worker: Worker, message: PrimaryToWorker): void {
  if (!worker.isConnected()) return;
  worker.send(message, undefined, (error: Error | null) => {
    // A worker that died between the check and the send: its 'exit' handler deals with it.
    if (error !== null && worker.isConnected())
      console.error(`dck issuer: IPC to worker ${worker.process.pid ?? '?'} failed: ${error.message}`);
  });
}

export async function startIssuerCluster(options: IssuerClusterOptions): Promise<IssuerCluster> {
  await prepareIssuerDataDir(options.config, options.dataDir);
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./worker.ts', import.meta.url)),
    execArgv: workerExecArgv(),
    args: [],
  });

  const slots = new Map<Worker, number>();
  const metrics = new MetricsAggregator();
  const policy = new RestartPolicy(options.restartPolicy);
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  let started = false;
  let finish: (result: ClusterStopped) => void = () => undefined;
  const stopped = new Promise<ClusterStopped>((resolve) => {
    finish = resolve;
  });
  let startFailure: (error: ClusterStartError) => void = () => undefined;
  let listening: (address: { url: string; port: number }) => void = () => undefined;
  let listeningCount = 0;

  const startOptions = (slot: number): WorkerStartOptions => ({
    config: options.config,
    dataDir: options.dataDir,
    slot,
    workers: options.workers,
    debugWorkerHeader: options.debugWorkerHeader === true,
    ...(options.port === undefined ? {} : { port: options.port }),
  });

  const fork = (slot: number): void => {
    const worker = cluster.fork();
    slots.set(worker, slot);
    worker.on('message', (raw: unknown) => onMessage(worker, raw));
    worker.on('exit', (code, signal) => onExit(worker, code, signal));
  };

  const onMessage = (worker: Worker, raw: unknown): void => {
    const message = parseWorkerMessage(raw);
    if (message === null) return;
    if (message.type === 'ready') {
      const slot = slots.get(worker);
      if (slot !== undefined) sendTo(worker, { type: 'start', options: startOptions(slot) });
    } else if (message.type === 'enrollments-changed') {
      for (const other of slots.keys()) if (other !== worker) sendTo(other, message);
    } else if (message.type === 'metrics-request') {
      metrics.answer(worker, message.requestId, sendTo);
    } else if (message.type === 'start-failed') {
      if (!started) startFailure(new ClusterStartError(message.code, message.message));
      else
        options.log(
          `worker ${slots.get(worker) ?? '?'} (pid ${worker.process.pid ?? '?'}) could not start: ${message.message}`,
        );
    } else {
      if (started)
        options.log(`worker ${slots.get(worker) ?? '?'} replaced: pid ${worker.process.pid ?? '?'} listening`);
      listeningCount += 1;
      if (listeningCount === options.workers) listening({ url: message.url, port: message.port });
    }
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    const slot = slots.get(worker) ?? 0;
    slots.delete(worker);
    // stopAll() waits for these exits itself.
    if (stopping) return;
    if (!started) {
      startFailure(
        new ClusterStartError('start-failed', `worker ${slot} stopped while starting (${describeExit(code, signal)})`),
      );
      return;
    }
    const decision = policy.onUnexpectedExit(slot, Date.now());
    if (decision.action === 'give-up') {
      const reason = `workers keep dying (${decision.exitsInWindow} in a row within a minute, last: ${describeExit(code, signal)}): stopping the service`;
      options.log(reason);
      void stopAll().then(() => finish({ exitCode: 1, reason }));
      return;
    }
    options.log(
      `worker ${slot} (pid ${worker.process.pid ?? '?'}) died (${describeExit(code, signal)}); replacing it in ${decision.delayMs} ms`,
    );
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopping) fork(slot);
    }, decision.delayMs);
    timers.add(timer);
  };

  const stopAll = (): Promise<void> => {
    stopping = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    if (slots.size === 0) return Promise.resolve();
    const allExited = new Promise<void>((resolve) => {
      const check = (): void => {
        if (slots.size === 0) resolve();
      };
      for (const worker of slots.keys()) worker.once('exit', () => setImmediate(check));
    });
    for (const worker of slots.keys()) sendTo(worker, { type: 'shutdown' });
    const killer = setTimeout(() => {
      for (const worker of slots.keys()) worker.process.kill('SIGKILL');
    }, STOP_KILL_AFTER_MS);
    return allExited.finally(() => clearTimeout(killer));
  };

  let startTimer: NodeJS.Timeout | undefined;
  const address = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    listening = resolve;
    startFailure = (error) => {
      void stopAll().then(() => reject(error));
    };
    startTimer = setTimeout(() => {
      startFailure(
        new ClusterStartError('start-failed', `the workers were not all listening after ${START_TIMEOUT_MS / 1000} s`),
      );
    }, START_TIMEOUT_MS);
    for (let slot = 0; slot < options.workers; slot += 1) fork(slot);
  }).finally(() => clearTimeout(startTimer));
  started = true;

  return {
    ...address,
    workerPids: () =>
      [...slots.entries()]
        .sort((a, b) => a[1] - b[1])
        .flatMap(([worker]) => (worker.process.pid === undefined ? [] : [worker.process.pid])),
    stop: async () => {
      await stopAll();
      finish({ exitCode: 0, reason: null });
    },
    stopped,
  };
}

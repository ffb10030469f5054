// One worker of `dck issuer --workers N` (forked by primary.ts with node:cluster): waits for its start message,
// runs the ordinary in-process issuer on the shared port, relays enrollment changes through the primary, and
// stops when the primary says so or disappears. Never run directly.
import cluster from 'node:cluster';
import { ConfigError, parseIssuerConfig } from '../config.ts';
import { EnrollmentEvents } from '../enrollment-events.ts';
import { startIssuer } from '../start-issuer.ts';
import type { RunningIssuer } from '../start-issuer.ts';
import { parsePrimaryMessage } from './messages.ts';
import type { WorkerStartOptions, WorkerToPrimary } from './messages.ts';
import { rateLimitsForWorker } from './rate-limit-share.ts';
import { RelayBatch } from './relay-batch.ts';
import { WorkerMetricsRelay } from './metrics-relay.ts';

/** Without a relayed message, a waiting long-poll or event stream still looks at the database this often. */
const RECHECK_MS = 2_000;
/**
 * Changes are relayed in batches at most this old: each IPC message costs the sender a pipe write and wakes the
 * primary (~0.25 ms CPU each under load, measured), and a kiosk does not notice 20 ms.
 */
const RELAY_BATCH_MS = 20;
/** In-flight requests (a long-poll holds up to a minute) get this long to finish when the service stops. */
const STOP_GRACE_MS = 5_000;

/** Sends to the primary; resolves once the message is handed to the channel (or the channel is gone). */
function send(message: WorkerToPrimary): Promise<void> {
  return new Promise((resolve) => {
    // The channel closes when the primary is gone; 'disconnect' below then stops this worker, so nothing is lost.
    if (!process.connected || process.send === undefined) {
      resolve();
      return;
    }
    process.send(message, undefined, undefined, (error: Error | null) => {
      if (error !== null && process.connected)
        console.error(`dck issuer worker ${process.pid}: IPC send failed: ${error.message}`);
      resolve();
    });
  });
}

async function start(
  options: WorkerStartOptions,
  events: EnrollmentEvents,
  metrics: WorkerMetricsRelay,
): Promise<RunningIssuer | null> {
  try {
    const parsed = parseIssuerConfig(options.config);
    const config = { ...parsed, rateLimits: rateLimitsForWorker(parsed.rateLimits, options.slot, options.workers) };
    const issuer = await startIssuer({
      config,
      dataDir: options.dataDir,
      events,
      debugWorkerHeader: options.debugWorkerHeader,
      logStream: process.stdout,
      metricsText: () => metrics.clusterMetrics(),
      ...(options.port === undefined ? {} : { port: options.port }),
    });
    metrics.collectFrom(issuer.metrics.registry);
    await send({ type: 'listening', url: issuer.url, port: issuer.port });
    return issuer;
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    // Delivered before this worker exits, so the primary can say why.
    await send({
      type: 'start-failed',
      code: error instanceof ConfigError ? 'config-invalid' : 'start-failed',
      message: message.slice(0, 2000),
    });
    return null;
  }
}

function runWorker(): void {
  // Ctrl-C reaches the whole process group, and a service manager may signal every process: the primary decides
  // when workers stop (it sends 'shutdown'), so a worker must not die on a signal meant for the service.
  const ignoreSignal = (): void => undefined;
  process.on('SIGINT', ignoreSignal);
  process.on('SIGTERM', ignoreSignal);

  const relay = new RelayBatch(RELAY_BATCH_MS, (enrollmentIds) => {
    void send({ type: 'enrollments-changed', enrollmentIds });
  });
  const events = new EnrollmentEvents({
    relay: (enrollmentId) => relay.add(enrollmentId),
    recheckMs: RECHECK_MS,
  });
  const metrics = new WorkerMetricsRelay(send);
  let issuer: Promise<RunningIssuer | null> | null = null;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const closed = (issuer ?? Promise.resolve(null)).then((running) => running?.close());
    const grace = new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
    Promise.race([closed, grace]).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(
          `dck issuer worker ${process.pid}: error while stopping: ${error instanceof Error ? error.message : String(error)}`,
        );
        process.exit(1);
      },
    );
  };

  process.on('message', (raw: unknown) => {
    const message = parsePrimaryMessage(raw);
    if (message === null) return;
    if (message.type === 'enrollments-changed') for (const id of message.enrollmentIds) events.wake(id);
    else if (message.type === 'metrics-response') metrics.settle(message.requestId, message.text);
    else if (message.type === 'shutdown') stop();
    else if (message.type === 'start' && issuer === null && !stopping) {
      issuer = start(message.options, events, metrics);
      issuer.then(
        (running) => {
          if (running === null) process.exit(1);
        },
        () => process.exit(1),
      );
    }
  });
  // The primary died or cut us off: never outlive it.
  process.on('disconnect', stop);
  void send({ type: 'ready' });
}

if (cluster.isWorker) runWorker();
else console.error('issuer/cluster/worker.ts runs only as a worker forked by `dck issuer --workers N`.');

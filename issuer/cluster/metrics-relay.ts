// /metrics with `--workers N`: any worker may receive the scrape, and it must answer for the whole service. The
// worker asks the primary; the primary collects every worker's registry through prom-client's AggregatorRegistry
// (its own IPC messages, `prom-client:getMetricsReq/Res`) and sends the summed text back. Counters and histograms
// are summed; gauges that describe a state (signer up, ready) take the minimum (issuer/operations/metrics.ts).
import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Registry } from 'prom-client';
import type { PrimaryToWorker, WorkerToPrimary } from './messages.ts';

/** A scrape waits this long for the primary; prom-client itself gives up on a silent worker after 5 s. */
const RELAY_TIMEOUT_MS = 7_000;

/** Primary: answers a worker's metrics-request with the sum over all workers (null when collecting failed). */
export class MetricsAggregator {
  private readonly registry = new AggregatorRegistry();

  answer(worker: Worker, requestId: number, send: (worker: Worker, message: PrimaryToWorker) => void): void {
    this.registry.clusterMetrics().then(
      (text) => send(worker, { type: 'metrics-response', requestId, text }),
      () => send(worker, { type: 'metrics-response', requestId, text: null }),
    );
  }
}

/** Worker: lets the primary collect `registry`, and asks the primary for the cluster's sum. */
export class WorkerMetricsRelay {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();

  constructor(private readonly send: (message: WorkerToPrimary) => Promise<void>) {
    // Constructing one installs prom-client's worker-side listener that answers the primary's collection requests.
    if (cluster.isWorker) void new AggregatorRegistry();
  }

  /** The registry the primary collects from this worker. */
  collectFrom(registry: Registry): void {
    AggregatorRegistry.setRegistries([registry]);
  }

  clusterMetrics(): Promise<string> {
    const requestId = this.nextId++;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error('the primary did not answer the metrics request'));
      }, RELAY_TIMEOUT_MS);
      this.pending.set(requestId, { resolve, reject, timer });
      void this.send({ type: 'metrics-request', requestId });
    });
  }

  /** The primary's answer. */
  settle(requestId: number, text: string | null): void {
    const waiting = this.pending.get(requestId);
    if (waiting === undefined) return;
    this.pending.delete(requestId);
    clearTimeout(waiting.timer);
    if (text === null) waiting.reject(new Error("the primary could not collect the workers' metrics"));
    else waiting.resolve(text);
  }
}

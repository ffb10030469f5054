// The messages between the cluster's primary and its workers (node:cluster IPC, JSON). Both sides are this
// program, but a message is still parsed before use: a malformed one is dropped, never half-applied.
import type { IssuerConfig } from '../config.ts';

/** What a worker needs to serve: the primary's parsed config, so every worker (and a replacement) runs the same one. */
export interface WorkerStartOptions {
  config: IssuerConfig;
  dataDir: string;
  /** Overrides config.listen.port; 0 = any free port (the workers share the one the primary picks). */
  port?: number;
  /** This worker's place (0..workers-1): decides its share of the rate limits; a replacement takes the same slot. */
  slot: number;
  workers: number;
  debugWorkerHeader: boolean;
}

export type PrimaryToWorker =
  | { type: 'start'; options: WorkerStartOptions }
  | { type: 'enrollments-changed'; enrollmentIds: string[] }
  | { type: 'metrics-response'; requestId: number; text: string | null }
  | { type: 'shutdown' };

export type WorkerToPrimary =
  /** Sent once the worker listens for messages: a message sent before that would be lost. */
  | { type: 'ready' }
  | { type: 'listening'; url: string; port: number }
  | { type: 'start-failed'; code: 'config-invalid' | 'start-failed'; message: string }
  | { type: 'enrollments-changed'; enrollmentIds: string[] }
  /** A worker serving /metrics asks the primary for the sum over all workers (cluster/metrics-relay.ts). */
  | { type: 'metrics-request'; requestId: number };

const ENROLLMENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The aggregated exposition: a few hundred series, far below this. */
const MAX_METRICS_TEXT = 4_000_000;
const isRequestId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const MAX_TEXT = 2048;
/** Most enrollment ids one relay message carries (a batch covers a few milliseconds of changes). */
export const MAX_RELAY_BATCH = 1000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const shortString = (value: unknown, max = MAX_TEXT): value is string =>
  typeof value === 'string' && value.length <= max;

function parseEnrollmentIds(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_RELAY_BATCH) return null;
  const ids: string[] = [];
  for (const id of value as unknown[]) {
    if (!shortString(id, 64) || !ENROLLMENT_ID.test(id)) return null;
    ids.push(id);
  }
  return ids;
}

function parseStartOptions(value: unknown): WorkerStartOptions | null {
  if (!isRecord(value) || !isRecord(value.config) || !shortString(value.dataDir, 4096)) return null;
  const { slot, workers, port } = value;
  if (
    !Number.isInteger(slot) ||
    !Number.isInteger(workers) ||
    (slot as number) < 0 ||
    (slot as number) >= (workers as number)
  )
    return null;
  if (port !== undefined && (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)) return null;
  return {
    // Validated again by parseIssuerConfig in the worker before use.
    config: value.config as unknown as IssuerConfig,
    dataDir: value.dataDir,
    slot: slot as number,
    workers: workers as number,
    ...(port === undefined ? {} : { port: port as number }),
    debugWorkerHeader: value.debugWorkerHeader === true,
  };
}

export function parsePrimaryMessage(value: unknown): PrimaryToWorker | null {
  if (!isRecord(value)) return null;
  if (value.type === 'shutdown') return { type: 'shutdown' };
  if (value.type === 'metrics-response') {
    const { requestId, text } = value;
    if (!isRequestId(requestId) || !(text === null || shortString(text, MAX_METRICS_TEXT))) return null;
    return { type: 'metrics-response', requestId, text };
  }
  if (value.type === 'enrollments-changed') {
    const ids = parseEnrollmentIds(value.enrollmentIds);
    return ids === null ? null : { type: 'enrollments-changed', enrollmentIds: ids };
  }
  if (value.type === 'start') {
    const options = parseStartOptions(value.options);
    return options === null ? null : { type: 'start', options };
  }
  return null;
}

export function parseWorkerMessage(value: unknown): WorkerToPrimary | null {
  if (!isRecord(value)) return null;
  if (value.type === 'ready') return { type: 'ready' };
  if (value.type === 'metrics-request')
    return isRequestId(value.requestId) ? { type: 'metrics-request', requestId: value.requestId } : null;
  if (value.type === 'enrollments-changed') {
    const ids = parseEnrollmentIds(value.enrollmentIds);
    return ids === null ? null : { type: 'enrollments-changed', enrollmentIds: ids };
  }
  if (value.type === 'listening') {
    const { url, port } = value;
    return shortString(url) && Number.isInteger(port) && (port as number) > 0 && (port as number) <= 65535
      ? { type: 'listening', url, port: port as number }
      : null;
  }
  if (value.type === 'start-failed') {
    const code = value.code === 'config-invalid' ? 'config-invalid' : 'start-failed';
    return shortString(value.message) ? { type: 'start-failed', code, message: value.message } : null;
  }
  return null;
}

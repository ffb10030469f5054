// Several issuer processes may share one SQLite file. When another process holds the write lock, SQLite answers
// SQLITE_BUSY. better-sqlite3's busy_timeout would sleep *synchronously* until the lock frees, freezing this
// process's event loop (every other request stalls), so the connection runs with busy_timeout = 0 and a busy
// answer is retried here asynchronously with a growing, jittered delay, up to an overall deadline.
// Retrying is safe because SQLite reports BUSY before anything was written: a statement or BEGIN IMMEDIATE that
// is refused changed nothing, and a transaction that fails midway is rolled back by better-sqlite3.
import { STORAGE_BUSY } from './issuer-storage.ts';

export interface BusyRetryPolicy {
  /** Give up (error code `storage-busy`) after this long. */
  deadlineMs: number;
  /** Longest single wait between two attempts. */
  maxDelayMs: number;
  /** Told of every busy answer that will be retried (monitoring, tests). */
  onRetry?: () => void;
}

export const DEFAULT_BUSY_RETRY: BusyRetryPolicy = { deadlineMs: 5_000, maxDelayMs: 20 };

/** SQLITE_BUSY and its extended codes (BUSY_SNAPSHOT, BUSY_RECOVERY, ...), and SQLITE_LOCKED. */
export function isBusyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

export class StorageBusyError extends Error {
  readonly code = STORAGE_BUSY;
  constructor(waitedMs: number) {
    super(`the issuer database stayed locked by another process for ${waitedMs} ms`);
    this.name = 'StorageBusyError';
  }
}

const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

async function retryAfterBusy<T>(attempt: () => T, policy: BusyRetryPolicy): Promise<T> {
  const started = Date.now();
  for (let retry = 0; ; retry += 1) {
    policy.onRetry?.();
    // The first retry only lets pending I/O run (the other process's transaction usually takes tens of µs);
    // later ones back off exponentially, with jitter so competing processes do not retry in lockstep.
    if (retry === 0) await nextTurn();
    else await sleep(Math.min(policy.maxDelayMs, 2 ** (retry - 1)) * (0.5 + Math.random()));
    try {
      return attempt();
    } catch (error: unknown) {
      if (!isBusyError(error)) throw error;
      if (Date.now() - started >= policy.deadlineMs) throw new StorageBusyError(Date.now() - started);
    }
  }
}

/** Runs a synchronous database call; while the database is busy, retries it without blocking the event loop. */
export function runWithBusyRetry<T>(attempt: () => T, policy: BusyRetryPolicy = DEFAULT_BUSY_RETRY): Promise<T> {
  try {
    return Promise.resolve(attempt());
  } catch (error: unknown) {
    if (!isBusyError(error)) return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    return retryAfterBusy(attempt, policy);
  }
}

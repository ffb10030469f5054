// Copies the SQLite write-ahead log back into the database file from a worker thread. SQLite's automatic
// checkpoint runs inside whichever COMMIT crosses the threshold: on the request path, copying ~1000 pages and
// waiting for two fsyncs while every other request on this event loop stalls. Here the request connection has
// wal_autocheckpoint = 0 and a second connection in a worker checkpoints on a timer, in two steps:
// - PASSIVE copies what the log holds without taking any lock writers need (writers go on meanwhile);
// - RESTART then takes the write lock briefly to copy the few frames appended meanwhile and waits for readers to
//   leave the log, so the next commit writes the log from its start again. PASSIVE alone never gets there under a
//   steady write load (new frames always arrive before it catches up): the log would grow without end, and every
//   commit would extend the file (the kernel zeroing each new block) instead of overwriting cached blocks.
// Writers that find the lock taken by the RESTART step retry asynchronously (sqlite-busy-retry.ts). The worker's
// own busy waits block only the worker.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface Checkpointer {
  /** Stops the worker (after its current checkpoint, if any). */
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs: number;
  /** Called when the worker fails: the caller falls back to SQLite's automatic checkpoints. */
  onFailure(error: Error): void;
}

// Plain CommonJS, so the worker needs no TypeScript loader (it also runs inside test runners and bundles).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    db.pragma('wal_checkpoint(RESTART)');
  } catch (error) {
    // Another process is checkpointing or the file stayed locked: the next tick tries again.
    if (!(typeof error.code === 'string' && error.code.startsWith('SQLITE_BUSY'))) throw error;
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** How long the RESTART step waits for a writer or reader to finish (a wait in the worker, not the event loop). */
const WORKER_BUSY_TIMEOUT_MS = 100;

export function startCheckpointer(file: string, options: CheckpointerOptions): Checkpointer {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true, workerData: { file, driverPath, intervalMs: options.intervalMs, busyTimeoutMs: WORKER_BUSY_TIMEOUT_MS },
  });
  // Never what keeps a process alive: a server that closes without stop() still exits.
  worker.unref();
  let failed = false;
  worker.on('error', (error) => {
    failed = true;
    options.onFailure(error);
  });
  const exited = new Promise<void>((resolve) => { worker.once('exit', () => resolve()); });
  return {
    stop: async () => {
      // Referenced again while it winds down, so a process whose last task is this close() waits for it.
      worker.ref();
      if (!failed) worker.postMessage('stop');
      await exited;
    },
  };
}

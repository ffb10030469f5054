// Copies the SQLite write-ahead log back into the database file from a worker thread. SQLite's automatic
// checkpoint runs inside whichever COMMIT crosses the threshold: on the request path, copying ~1000 pages and
// waiting for two fsyncs while every other request on this event loop stalls. Here the request connection has
// wal_autocheckpoint = 0 and a second connection in a worker checkpoints on a timer, in two steps:
// 1. PASSIVE copies what the log holds without taking any lock writers need (writers go on meanwhile);
// 2. RESTART copies the few frames appended meanwhile and waits until the next commit can write the log from its
//    start again. PASSIVE alone never gets there under a steady write load (new frames always arrive before it
//    catches up): the log would grow without end, every commit extending the file. RESTART needs the write lock,
//    which a busy event loop would retake between its polls for ever, so for this short step the worker asks the
//    storage to hold back this process's writes (`writeGate`): they wait asynchronously, reads go on.
// The worker's own busy waits (other processes writing) block only the worker.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface Checkpointer {
  /** While the worker restarts the log: a promise writes wait for before they start; null otherwise. */
  writeGate(): Promise<void> | null;
  /** Stops the worker (after its current checkpoint, if any). */
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs: number;
  /** Called when the worker fails: the caller falls back to SQLite's automatic checkpoints. */
  onFailure(error: Error): void;
}

/** How long the RESTART step waits for another process's writer or reader: this process's writes wait as long. */
const WORKER_BUSY_TIMEOUT_MS = 10;
/** Writes are held back at most this long, whatever happens to the worker. */
const MAX_WRITE_PAUSE_MS = 1_000;

// Plain CommonJS, so the worker needs no TypeScript loader (it also runs inside test runners and bundles).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
const isBusy = (error) => typeof error.code === 'string' && error.code.startsWith('SQLITE_BUSY');
let timer = null;
// A 'writes-paused' can cross 'stop' in flight (each side posts before it reads the other's message): after 'stop'
// the database is closed, so nothing else is done.
let stopped = false;
const checkpoint = (mode) => {
  try {
    db.pragma('wal_checkpoint(' + mode + ')');
  } catch (error) {
    // Another process is checkpointing or the file stayed locked: the next tick tries again.
    if (!isBusy(error)) throw error;
  }
};
const tick = () => {
  timer = null;
  checkpoint('PASSIVE');
  parentPort.postMessage('pause-writes');
};
parentPort.on('message', (message) => {
  if (stopped) return;
  if (message === 'writes-paused') {
    try {
      checkpoint('RESTART');
    } finally {
      parentPort.postMessage('resume-writes');
      timer = setTimeout(tick, workerData.intervalMs);
    }
  } else if (message === 'stop') {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
timer = setTimeout(tick, workerData.intervalMs);
`;

interface Gate {
  promise: Promise<void>;
  open(): void;
}

function closedGate(): Gate {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export function startCheckpointer(file: string, options: CheckpointerOptions): Checkpointer {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driverPath, intervalMs: options.intervalMs, busyTimeoutMs: WORKER_BUSY_TIMEOUT_MS },
  });
  let gate: Gate | null = null;
  let failsafe: NodeJS.Timeout | undefined;
  const resumeWrites = () => {
    clearTimeout(failsafe);
    gate?.open();
    gate = null;
  };
  let stopping = false;
  worker.on('message', (message) => {
    if (message === 'pause-writes' && !stopping) {
      // Writes run synchronously on this thread, so none is in progress while this handler runs.
      gate = closedGate();
      // Referenced on purpose: while writes wait on the gate, this timer may be all that keeps the process alive
      // (the worker is unref'd). Unref'd, a process whose only work was a held-back write ended with it unwritten:
      // exit code 0, the write silently lost (a CLI command; the storage-processes test's children, now and then).
      failsafe = setTimeout(resumeWrites, MAX_WRITE_PAUSE_MS);
      worker.postMessage('writes-paused');
    } else if (message === 'resume-writes') {
      resumeWrites();
    }
  });
  let failed = false;
  worker.on('error', (error) => {
    failed = true;
    resumeWrites();
    options.onFailure(error);
  });
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      resumeWrites();
      resolve();
    });
  });
  // Never what keeps a process alive: a server that closes without stop() still exits. (After the listeners are
  // attached: attaching a 'message' listener references the worker's port again.)
  worker.unref();
  return {
    writeGate: () => gate?.promise ?? null,
    stop: async () => {
      // Referenced again while it winds down, so a process whose last task is this close() waits for it.
      worker.ref();
      stopping = true;
      resumeWrites();
      if (!failed) worker.postMessage('stop');
      await exited;
    },
  };
}

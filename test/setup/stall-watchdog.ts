// The stall watchdog of every test process (vitest setupFiles). Vitest's test and hook timeouts are timers on the test
// process's own event loop: a test blocked inside a synchronous call (spawnSync/execFileSync waiting on a child that
// never ends, a native PKCS#11 or PC/SC call that never returns) never reaches them, and the whole run waits until CI
// kills it with no word of where it stood. CI did exactly that once (90 minutes, no failure printed).
//
// So the test process beats a shared clock every second, and a worker thread (which a blocked main thread does not
// stop) watches it. After STALL_MS without a beat it prints the file and test under way and the process's children,
// then kills those children: a synchronous wait on one of them returns, and the test fails where it stood instead of
// hanging the run. If the process is still stuck STALL_MS later, the thread ends it, and vitest reports the file.
// Nothing in a test legitimately blocks this long (the longest synchronous wait is a 45 s spawnSync).
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, expect } from 'vitest';

/**
 * Five minutes without a beat: far past any synchronous wait a test makes, far below CI's 90-minute limit.
 * DCK_STALL_WATCHDOG_MS shortens it for the watchdog's own test.
 */
const STALL_MS = Number(process.env.DCK_STALL_WATCHDOG_MS ?? '') || 5 * 60_000;
const BEAT_MS = 1_000;
const WHERE_BYTES = 2_048;
const REPORT_BYTES = 16_384;

/** Shared with the thread: where the process stands (written here), what the thread did (written there). */
interface Watchdog {
  readonly where: Uint8Array;
  readonly report: Uint8Array;
}

const started = Symbol.for('dck.stallWatchdog');
const processState = globalThis as { [started]?: Watchdog };

function startWatchdog(): Watchdog {
  const beat = new Float64Array(new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT));
  const where = new Uint8Array(new SharedArrayBuffer(WHERE_BYTES));
  const report = new Uint8Array(new SharedArrayBuffer(REPORT_BYTES));
  beat[0] = Date.now();
  setInterval(() => {
    beat[0] = Date.now();
  }, BEAT_MS).unref();
  const thread = new Worker(new URL('./stall-watchdog-thread.mjs', import.meta.url), {
    workerData: { beat, where, report, stallMs: STALL_MS, pid: process.pid },
  });
  thread.unref();
  return { where, report };
}

const { where, report } = (processState[started] ??= startWatchdog());

/** What the thread names if the process stalls: the file, and the test under way or the hooks around them. */
function standingAt(text: string): void {
  where.fill(0);
  where.set(Buffer.from(text).subarray(0, WHERE_BYTES - 1));
}

standingAt(`${expect.getState().testPath ?? 'a test file'} (loading, or in a beforeAll hook)`);
beforeEach((context) => standingAt(`${context.task.file.filepath} › ${context.task.name}`));
afterEach((context) => {
  standingAt(`${context.task.file.filepath} (after "${context.task.name}", or in its hooks)`);
  // The thread's word goes with the test's failure too, so it is in the run's summary (CI shows the end of a log).
  if (report[0] === 0) return;
  const said = Buffer.from(report.slice()).toString('utf8').replace(/\0+$/, '');
  report.fill(0);
  throw new Error(said);
});

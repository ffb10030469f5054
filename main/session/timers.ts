// The session's named timers (idle, warning tick, retry tick, done, completion retry): at most one of each runs;
// starting one again restarts it. The scheduler is injectable so tests advance time by hand.
import type { TimerName } from './state.ts';

export interface Scheduler {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const defaultScheduler: Scheduler = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // A kiosk timer never keeps the process alive on its own (stop() must be enough to exit).
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class SessionTimers {
  readonly #scheduler: Scheduler;
  readonly #fired: (timer: TimerName) => void;
  readonly #running = new Map<TimerName, unknown>();

  constructor(scheduler: Scheduler, fired: (timer: TimerName) => void) {
    this.#scheduler = scheduler;
    this.#fired = fired;
  }

  start(timer: TimerName, seconds: number): void {
    this.cancel(timer);
    const handle = this.#scheduler.setTimeout(() => {
      this.#running.delete(timer);
      this.#fired(timer);
    }, seconds * 1000);
    this.#running.set(timer, handle);
  }

  cancel(timer: TimerName): void {
    const handle = this.#running.get(timer);
    if (handle === undefined) return;
    this.#scheduler.clearTimeout(handle);
    this.#running.delete(timer);
  }

  cancelAll(): void {
    for (const timer of [...this.#running.keys()]) this.cancel(timer);
  }
}

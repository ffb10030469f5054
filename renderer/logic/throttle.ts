// Activity reports to main are throttled: a person typing a PIN presses a key every few hundred milliseconds,
// but the idle timer only needs to hear about it once every couple of seconds.

export interface Throttle {
  /** Calls the action if at least `intervalMs` passed since it last ran; returns whether it ran. */
  (): boolean;
}

export function createThrottle(action: () => void, intervalMs: number, now: () => number = Date.now): Throttle {
  let lastRunAt = Number.NEGATIVE_INFINITY;
  return () => {
    const current = now();
    if (current - lastRunAt < intervalMs) return false;
    lastRunAt = current;
    action();
    return true;
  };
}

// When a worker dies unasked, the primary replaces it after a back-off that doubles with each recent death of
// that slot; when workers keep dying (a bad disk, a broken build), replacing them forever would only hide the
// fault, so past `maxExitsInWindow` deaths within `windowMs` the service stops and says why.

export interface RestartPolicyOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  maxExitsInWindow: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxExitsInWindow: 5,
  windowMs: 60_000,
};

export type RestartDecision = { action: 'restart'; delayMs: number } | { action: 'give-up'; exitsInWindow: number };

export class RestartPolicy {
  private exits: Array<{ slot: number; at: number }> = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** Records that worker `slot` died at `now` and says what to do. */
  onUnexpectedExit(slot: number, now: number): RestartDecision {
    this.exits = this.exits.filter((exit) => now - exit.at < this.options.windowMs);
    this.exits.push({ slot, at: now });
    if (this.exits.length >= this.options.maxExitsInWindow)
      return { action: 'give-up', exitsInWindow: this.exits.length };
    const slotExits = this.exits.filter((exit) => exit.slot === slot).length;
    const delayMs = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (slotExits - 1));
    return { action: 'restart', delayMs };
  }
}

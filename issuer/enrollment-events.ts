// Wakes long-polls and server-sent-event streams when an enrollment changes. A wake-up means "look at the
// database again", never "it changed": listeners re-read the enrollment, so a spurious wake-up costs one read.
//
// One process: notify() wakes the listeners of this process. Several processes on one database (`dck issuer
// --workers N`): notify() also hands the id to `relay` (the cluster's primary forwards it to the other workers,
// which call wake()), and `recheckMs` wakes every waiter periodically so a lost message only delays the kiosk,
// never leaves it waiting until its long-poll times out. Nodes on one PostgreSQL database add LISTEN/NOTIFY
// (storage/postgres-enrollment-channel.ts) with `relayTo`.
type Listener = () => void;

export interface EnrollmentEventsOptions {
  /** Tells the other processes that an enrollment changed here. */
  relay?: (enrollmentId: string) => void;
  /** Wake every waiter at least this often, changed or not (several processes share the database). */
  recheckMs?: number;
}

export class EnrollmentEvents {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly relays: Array<(enrollmentId: string) => void> = [];
  /** Listeners of every enrollment: the help-desk console's live queue. */
  private readonly anyListeners = new Set<Listener>();
  private readonly recheckMs: number | null;

  constructor(options: EnrollmentEventsOptions = {}) {
    if (options.relay !== undefined) this.relays.push(options.relay);
    this.recheckMs = options.recheckMs !== undefined && options.recheckMs > 0 ? options.recheckMs : null;
  }

  /** Also tells `relay` of every change made here (PostgreSQL nodes: LISTEN/NOTIFY, beside the cluster's relay). */
  relayTo(relay: (enrollmentId: string) => void): void {
    this.relays.push(relay);
  }

  /** The enrollment changed in this process: wake local listeners and tell the other processes. */
  notify(enrollmentId: string): void {
    this.wake(enrollmentId);
    for (const relay of this.relays) relay(enrollmentId);
  }

  /** Wakes this process's listeners only (a change relayed from another process). */
  wake(enrollmentId: string): void {
    for (const listener of this.listeners.get(enrollmentId) ?? []) listener();
    for (const listener of this.anyListeners) listener();
  }

  /** Calls `listener` on a change of any enrollment (and every `recheckMs`, when set) until the returned function is called. */
  subscribeAll(listener: Listener): () => void {
    this.anyListeners.add(listener);
    const recheck = this.recheckMs === null ? null : setInterval(listener, this.recheckMs);
    return () => {
      if (recheck !== null) clearInterval(recheck);
      this.anyListeners.delete(listener);
    };
  }

  /** Calls `listener` on every change (and every `recheckMs`, when set) until the returned function is called. */
  subscribe(enrollmentId: string, listener: Listener): () => void {
    const remove = this.add(enrollmentId, listener);
    if (this.recheckMs === null) return remove;
    const recheck = setInterval(listener, this.recheckMs);
    return () => {
      clearInterval(recheck);
      remove();
    };
  }

  /** Resolves on the next change, after `recheckMs` (when set), or after `timeoutMs`, whichever comes first. */
  nextChange(enrollmentId: string, timeoutMs: number): Promise<void> {
    const wait = Math.max(0, this.recheckMs === null ? timeoutMs : Math.min(timeoutMs, this.recheckMs));
    return new Promise((resolve) => {
      const unsubscribe = this.add(enrollmentId, () => finish());
      const timer = setTimeout(() => finish(), wait);
      function finish(): void {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }

  private add(enrollmentId: string, listener: Listener): () => void {
    let set = this.listeners.get(enrollmentId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(enrollmentId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(enrollmentId);
    };
  }
}

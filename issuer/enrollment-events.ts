// Wakes long-polls and server-sent-event streams when an enrollment changes. In-process only: a multi-node
// deployment (PostgreSQL) will replace this with LISTEN/NOTIFY behind the same two methods.
type Listener = () => void;

export class EnrollmentEvents {
  private readonly listeners = new Map<string, Set<Listener>>();

  notify(enrollmentId: string): void {
    for (const listener of this.listeners.get(enrollmentId) ?? []) listener();
  }

  /** Calls `listener` on every change until the returned function is called. */
  subscribe(enrollmentId: string, listener: Listener): () => void {
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

  /** Resolves on the next change or after `timeoutMs`, whichever comes first. */
  nextChange(enrollmentId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const unsubscribe = this.subscribe(enrollmentId, () => finish());
      const timer = setTimeout(() => finish(), Math.max(0, timeoutMs));
      function finish(): void {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }
}

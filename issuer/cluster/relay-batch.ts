// Collects the ids of changed enrollments for `delayMs` and hands them over as one batch: under load one IPC
// message then carries many changes instead of waking the primary once per enrollment.
import { MAX_RELAY_BATCH } from './messages.ts';

export class RelayBatch {
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly delayMs: number,
    private readonly flushTo: (enrollmentIds: string[]) => void,
  ) {}

  add(enrollmentId: string): void {
    this.pending.add(enrollmentId);
    if (this.pending.size >= MAX_RELAY_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending = new Set();
    this.flushTo(ids);
  }
}

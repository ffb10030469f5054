// Request counting per caller in fixed one-minute windows: a Map lookup per request. It replaces
// @fastify/rate-limit, whose per-request cost (a hook chain, a TTL cache, four response headers on every answer)
// was ~100 µs of issuer CPU per request, more than Fastify's own handling of a request.
// Counts live in this process only: with several issuer processes each one enforces the limit on its own.

export interface RateLimitVerdict {
  allowed: boolean;
  /** Seconds until the current window ends (for Retry-After). */
  retryAfterSeconds: number;
}

/** Keys beyond this many in one window share one bucket, so a flood of fresh keys cannot grow memory for ever. */
const DEFAULT_MAX_KEYS = 100_000;
const OVERFLOW_KEY = '\0overflow';

export class FixedWindowRateLimiter {
  private counts = new Map<string, number>();
  private windowStartedAt = -Infinity;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {}

  /** Counts one request of `key`; allowed while the key has made at most `max` requests in this window. */
  take(key: string): RateLimitVerdict {
    const now = this.now();
    if (now - this.windowStartedAt >= this.windowMs) {
      this.counts = new Map();
      this.windowStartedAt = now;
    }
    const bucket = this.counts.has(key) || this.counts.size < this.maxKeys ? key : OVERFLOW_KEY;
    const count = (this.counts.get(bucket) ?? 0) + 1;
    this.counts.set(bucket, count);
    return {
      allowed: count <= this.max,
      retryAfterSeconds: Math.max(1, Math.ceil((this.windowStartedAt + this.windowMs - now) / 1000)),
    };
  }

  /** Un-counts one request of `key` in this window (it turned out not to be what the limit counts). */
  giveBack(key: string): void {
    const count = this.counts.get(key);
    if (count !== undefined && count > 0) this.counts.set(key, count - 1);
  }
}

// Request counting per caller in fixed one-minute windows: a Map lookup per request. It replaces
// @fastify/rate-limit, whose per-request cost (a hook chain, a TTL cache, four response headers on every answer)
// was ~100 µs of issuer CPU per request, more than Fastify's own handling of a request.
// Counts live in this process only: with several issuer processes each one enforces the limit on its own.
//
// Which limits are split across `--workers` and which hold per process; a new limit is one or the other, made with
// serviceLimiter or perProcessLimiter:
// - Split: a limit on what the whole service lets through, whatever the caller does (how many guesses, requests or
//   rows an attacker gets, however they spread their connections). It is a setting of `rateLimits` (config.ts); each
//   worker enforces its share and the shares add up to the setting (cluster/rate-limit-share.ts splits every setting,
//   and the compiler refuses a new setting it does not split).
// - Per process: a limit on one well-behaved caller's own pace, which must hold on whichever worker or node its
//   connection lands, so it is not split (a share would refuse that caller). A constant in its rule's module, e.g.
//   AFFIRMATION_POLLS_PER_MINUTE (agent/supervised-issuance.ts), whose unit is one phone (issuer/README.md).
import type { IssuerConfig } from './config.ts';

/** The `rateLimits` settings: in a worker, already its share (cluster/worker.ts). */
type RateLimitSettings = IssuerConfig['rateLimits'];

export interface RateLimitVerdict {
  allowed: boolean;
  /** Seconds until the current window ends (for Retry-After). */
  retryAfterSeconds: number;
}

/** Keys beyond this many in one window share one bucket, so a flood of fresh keys cannot grow memory for ever. */
const DEFAULT_MAX_KEYS = 100_000;
const OVERFLOW_KEY = '\0overflow';

const MINUTE_MS = 60_000;

/** This process's share of the service-wide limit `setting` (split across `--workers`). */
export function serviceLimiter(settings: RateLimitSettings, setting: keyof RateLimitSettings): FixedWindowRateLimiter {
  return new FixedWindowRateLimiter(settings[setting], MINUTE_MS);
}

/** `perMinute` for each caller in this process, not split across `--workers`: one caller's own pace. */
export function perProcessLimiter(perMinute: number): FixedWindowRateLimiter {
  return new FixedWindowRateLimiter(perMinute, MINUTE_MS);
}

/** The counter itself; the service makes its limiters with serviceLimiter or perProcessLimiter (the rule above). */
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

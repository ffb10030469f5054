// The issuer's per-caller request counter: limits per key, a fresh allowance each window, Retry-After, and a
// flood of new keys sharing one bucket instead of growing memory.
import { describe, expect, it } from 'vitest';
import { FixedWindowRateLimiter } from '../../../issuer/rate-limit.ts';

describe('FixedWindowRateLimiter', () => {
  it('allows max requests per key per window, each key on its own', () => {
    let now = 1_000_000;
    const limiter = new FixedWindowRateLimiter(3, 60_000, () => now);
    expect([1, 2, 3, 4, 5].map(() => limiter.take('a').allowed)).toEqual([true, true, true, false, false]);
    expect(limiter.take('b').allowed).toBe(true);
    now += 20_000;
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 40 });
    now += 40_000;
    expect(limiter.take('a').allowed).toBe(true);
  });

  it('puts keys beyond its capacity in one shared bucket, which is limited too', () => {
    const limiter = new FixedWindowRateLimiter(2, 60_000, () => 0, 10);
    for (let i = 0; i < 10; i += 1) expect(limiter.take(`key-${i}`).allowed).toBe(true);
    // New keys now share the overflow bucket: two requests in all, then refused, whoever sends them.
    expect(['x', 'y', 'z', 'w'].map((key) => limiter.take(key).allowed)).toEqual([true, true, false, false]);
    // Keys already counted keep their own count.
    expect(limiter.take('key-0').allowed).toBe(true);
    expect(limiter.take('key-0').allowed).toBe(false);
  });

  it('gives back a request that turned out not to count, never below zero, never another key', () => {
    const limiter = new FixedWindowRateLimiter(1, 60_000, () => 0);
    expect(limiter.take('a').allowed).toBe(true);
    limiter.giveBack('a');
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    limiter.giveBack('b');
    limiter.giveBack('b');
    expect(limiter.take('b').allowed).toBe(true);
    expect(limiter.take('b').allowed).toBe(false);
  });
});

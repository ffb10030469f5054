// Which failures the phone asks the issuer again after, when, and for how long (phone/issuer-retry.ts).
import { describe, expect, it } from 'vitest';
import type { CallOutcome } from '../../../contracts/issuer-caller.ts';
import {
  RETRY_FAILURES_MAX,
  retryBudget,
  retryDelayMs,
  transientFailure,
  type TransientFailure,
} from '../../../phone/issuer-retry.ts';

type Answer = CallOutcome<'redeemEnrollment'>;
const refused = (status: number, code: string, retryAfterSeconds?: number): Answer =>
  ({
    ok: false,
    kind: 'refused',
    status,
    code,
    message: 'issuer sentence',
    requestId: 'r',
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  }) as Answer;

const NOW = 1_000_000;
const FAR = NOW + 3_600_000;
const limited = (retryAfterSeconds: number | null): TransientFailure => ({
  kind: 'rate-limited',
  retryAfterSeconds,
  reason: 'r',
});
const network: TransientFailure = { kind: 'network', reason: 'r' };

describe('transientFailure', () => {
  it('a rate limit and a failed connection are transient, with the Retry-After the caller read', () => {
    expect(transientFailure(refused(429, 'rate-limited', 42))).toMatchObject({
      kind: 'rate-limited',
      retryAfterSeconds: 42,
    });
    expect(transientFailure(refused(429, 'rate-limited'))).toMatchObject({
      kind: 'rate-limited',
      retryAfterSeconds: null,
    });
    const unreachable: Answer = { ok: false, kind: 'issuer-unreachable', message: 'cannot reach', requestId: 'r' };
    expect(transientFailure(unreachable)).toEqual({ kind: 'network', reason: 'cannot reach' });
  });

  it('a server error is transient, with its Retry-After when it gave one; so is a 5xx outside the contract', () => {
    expect(transientFailure(refused(503, 'ca-unavailable', 5))).toEqual({
      kind: 'server',
      retryAfterSeconds: 5,
      reason: 'the issuer is briefly unable to answer (HTTP 503 ca-unavailable)',
    });
    const gateway: Answer = { ok: false, kind: 'bad-response', status: 502, message: 'HTTP 502', requestId: 'r' };
    expect(transientFailure(gateway)).toEqual({
      kind: 'server',
      retryAfterSeconds: null,
      reason: 'the issuer is briefly unable to answer (HTTP 502)',
    });
  });

  it('refusals and answers outside the contract are final', () => {
    expect(transientFailure(refused(403, 'card-revoked'))).toBeNull();
    expect(transientFailure(refused(410, 'otp-expired'))).toBeNull();
    // The code alone is not enough: a rate-limited code with another status is not the limiter's answer.
    expect(transientFailure(refused(400, 'rate-limited'))).toBeNull();
    expect(transientFailure({ ok: false, kind: 'bad-response', message: 'x', requestId: 'r' })).toBeNull();
    expect(transientFailure({ ok: false, kind: 'bad-response', status: 404, message: 'x', requestId: 'r' })).toBeNull();
    expect(transientFailure({ ok: false, kind: 'bad-response', status: 600, message: 'x', requestId: 'r' })).toBeNull();
  });
});

describe('retryDelayMs', () => {
  it('follows Retry-After, never sooner than the ordinary 3 s pace, with up to a second of jitter', () => {
    expect(retryDelayMs(limited(20), 1, NOW, FAR, () => 0)).toBe(20_000);
    expect(retryDelayMs(limited(20), 1, NOW, FAR, () => 0.999)).toBe(20_999);
    expect(retryDelayMs(limited(0), 1, NOW, FAR, () => 0)).toBe(3000);
    // None given (or garbage, which the caller reads as none): the issuer's one-minute window.
    expect(retryDelayMs(limited(null), 1, NOW, FAR, () => 0)).toBe(60_000);
  });

  it('never waits past the one-time password (a huge Retry-After is cut to its end, where the wait gives up)', () => {
    expect(retryDelayMs(limited(999_999_999), 1, NOW, NOW + 45_000, () => 0)).toBe(45_000);
    expect(retryDelayMs(network, 4, NOW, NOW + 1000, () => 1)).toBe(1000);
    expect(retryDelayMs(network, 1, NOW, NOW - 5000, () => 1)).toBe(0);
  });

  it('backs off network failures: half of each doubling step fixed, half random, at most 8 s', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(network, n, NOW, FAR, () => 0))).toEqual([
      500, 1000, 2000, 4000, 4000, 4000,
    ]);
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(network, n, NOW, FAR, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    // A random source out of range is clamped, not trusted.
    expect(retryDelayMs(network, 1, NOW, FAR, () => 7)).toBe(1000);
    expect(retryDelayMs(network, 1, NOW, FAR, () => -3)).toBe(500);
  });
});

describe('retryBudget', () => {
  const server = (retryAfterSeconds: number | null): TransientFailure => ({
    kind: 'server',
    retryAfterSeconds,
    reason: 's',
  });

  it('a server error follows its Retry-After like a rate limit, else backs off like a network failure', () => {
    expect(retryDelayMs(server(5), 1, NOW, FAR, () => 0)).toBe(5000);
    expect(retryDelayMs(server(null), 2, NOW, FAR, () => 0)).toBe(1000);
  });

  it('gives up at the RETRY_FAILURES_MAX-th failure in a row, naming the last reason; an answer starts the count again', () => {
    const budget = retryBudget(FAR, () => 0);
    const steps = Array.from({ length: RETRY_FAILURES_MAX - 1 }, () => budget.afterFailure(network, NOW).kind);
    expect(steps).toEqual(Array.from({ length: RETRY_FAILURES_MAX - 1 }, () => 'retry'));
    budget.answered();
    expect(budget.afterFailure(network, NOW)).toEqual({
      kind: 'retry',
      notice: { reason: 'r', delayMs: 500, failuresInARow: 1 },
    });
    for (let i = 2; i < RETRY_FAILURES_MAX; i += 1) budget.afterFailure(network, NOW);
    expect(budget.afterFailure(server(1), NOW)).toEqual({
      kind: 'too-many',
      failuresInARow: RETRY_FAILURES_MAX,
      reason: 's',
    });
  });

  it('gives up when the next ask would come at or after the deadline (the OTP, the device code)', () => {
    expect(retryBudget(NOW + 400, () => 0).afterFailure(network, NOW)).toEqual({ kind: 'past-deadline' });
    expect(retryBudget(NOW + 600, () => 0).afterFailure(network, NOW)).toMatchObject({ kind: 'retry' });
  });
});

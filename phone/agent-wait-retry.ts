// Which failures a phone waiting for the help-desk agent asks again after, and when (phone-client.ts
// redeemWaitingForAgent). A person standing at the help desk should not lose their enrollment to a moment's
// trouble: the issuer's rate limit (429, whose Retry-After says when) or a connection that failed (refused, reset,
// timed out: backed off with jitter). Everything else (a refusal, an answer outside the contract) is final.
import type { CallOutcome } from '../contracts/issuer-caller.ts';

/** The wait gives up after this many failed asks in a row (a rate limit or a network failure each count one). */
export const AGENT_WAIT_FAILURES_MAX = 6;
/**
 * Network failures: the first retry after 0.5–1 s, doubling up to 4–8 s. Six failures in a row (five waits) span 11.5–23 s
 * of waiting (plus the failed exchanges' own time): a restarted issuer or a load balancer's moment is covered, an issuer
 * that is gone is reported within seconds, not at the one-time password's end.
 */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 8000;
/** A rate limit without a (valid) Retry-After: the issuer's limit windows are a minute long (issuer/rate-limit.ts). */
const RATE_LIMIT_DEFAULT_SECONDS = 60;
/** Never sooner than the phone's ordinary pace, whatever Retry-After says (0, or a date in the past). */
const RATE_LIMIT_MIN_MS = 3000;
/** Spread over a second, so phones limited together (one NAT, one window) do not all come back at the same instant. */
const RATE_LIMIT_JITTER_MS = 1000;

export type TransientFailure =
  | { readonly kind: 'rate-limited'; readonly retryAfterSeconds: number | null; readonly reason: string }
  | { readonly kind: 'network'; readonly reason: string };

/** What the phone tells its user before it asks again (no secret: the reason names a status or a socket error). */
export interface RetryNotice {
  readonly reason: string;
  readonly delayMs: number;
  /** 1 for the first failure in a row; the wait gives up at AGENT_WAIT_FAILURES_MAX. */
  readonly failuresInARow: number;
}

/** The failure worth asking again after, or null when the answer is final. */
export function transientFailure(answer: CallOutcome<'redeemEnrollment'>): TransientFailure | null {
  if (answer.ok) return null;
  if (answer.kind === 'refused' && answer.status === 429 && answer.code === 'rate-limited') {
    return {
      kind: 'rate-limited',
      retryAfterSeconds: answer.retryAfterSeconds ?? null,
      reason: 'the issuer is limiting how often this phone may ask (HTTP 429)',
    };
  }
  if (answer.kind === 'issuer-unreachable') return { kind: 'network', reason: answer.message };
  return null;
}

/**
 * How long to wait before the next ask: the rate limit's Retry-After (at least the ordinary pace, plus up to a
 * second of jitter), or the network back-off for the `failuresInARow`-th failure (half its step fixed, half random).
 * Never past `otpExpiresAt`: the caller gives up when the wait would reach it.
 */
export function retryDelayMs(
  failure: TransientFailure,
  failuresInARow: number,
  nowMs: number,
  otpExpiresAt: number,
  random: () => number,
): number {
  const spread = Math.min(Math.max(random(), 0), 1);
  let delayMs: number;
  if (failure.kind === 'rate-limited') {
    const askedMs = (failure.retryAfterSeconds ?? RATE_LIMIT_DEFAULT_SECONDS) * 1000;
    delayMs = Math.max(RATE_LIMIT_MIN_MS, askedMs) + spread * RATE_LIMIT_JITTER_MS;
  } else {
    const stepMs = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, failuresInARow - 1));
    delayMs = stepMs / 2 + (spread * stepMs) / 2;
  }
  return Math.round(Math.min(delayMs, Math.max(0, otpExpiresAt - nowMs)));
}

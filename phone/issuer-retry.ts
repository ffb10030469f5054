// Which failures the phone asks the issuer again after, when, and for how long (phone-client.ts): the redeem (whose
// answer may be lost after the issuer issued: the issuer sends the same certificate again), the wait for the
// help-desk agent, and the wait for the kiosk's approval (pollForToken). A person should not lose their enrollment to
// a moment's trouble: the issuer's rate limit (429, whose Retry-After says when), a server error (5xx, with or
// without Retry-After) or a connection that failed (refused, reset, timed out: backed off with jitter). Everything
// else (a refusal, an answer outside the contract) is final.
import type { CallOutcome } from '../contracts/issuer-caller.ts';
import type { RouteName } from '../contracts/issuer-routes.ts';

/** The asks give up after this many failures in a row (a rate limit, a server error or a network failure each count one). */
export const RETRY_FAILURES_MAX = 6;
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

/** `server`: a 5xx; with a Retry-After it is followed like a rate limit's, without one it is backed off from. */
export type TransientFailure =
  | { readonly kind: 'rate-limited'; readonly retryAfterSeconds: number | null; readonly reason: string }
  | { readonly kind: 'server'; readonly retryAfterSeconds: number | null; readonly reason: string }
  | { readonly kind: 'network'; readonly reason: string };

/** What the phone tells its user before it asks again (no secret: the reason names a status or a socket error). */
export interface RetryNotice {
  readonly reason: string;
  readonly delayMs: number;
  /** 1 for the first failure in a row; the asks give up at RETRY_FAILURES_MAX. */
  readonly failuresInARow: number;
}

/** The failure worth asking again after, or null when the answer is final. */
export function transientFailure(answer: CallOutcome<RouteName>): TransientFailure | null {
  if (answer.ok) return null;
  if (answer.kind === 'issuer-unreachable') return { kind: 'network', reason: answer.message };
  const status = answer.status ?? 0;
  if (answer.kind === 'refused' && status === 429 && answer.code === 'rate-limited') {
    return {
      kind: 'rate-limited',
      retryAfterSeconds: answer.retryAfterSeconds ?? null,
      reason: 'the issuer is limiting how often this phone may ask (HTTP 429)',
    };
  }
  if (status < 500 || status > 599) return null;
  const named = answer.kind === 'refused' ? ` ${answer.code}` : '';
  return {
    kind: 'server',
    retryAfterSeconds: answer.kind === 'refused' ? (answer.retryAfterSeconds ?? null) : null,
    reason: `the issuer is briefly unable to answer (HTTP ${status}${named})`,
  };
}

/**
 * How long to wait before the next ask: the Retry-After of a rate limit or a server error (at least the ordinary
 * pace, plus up to a second of jitter), or the network back-off for the `failuresInARow`-th failure (half its step
 * fixed, half random). Never past `deadlineMs`: the caller gives up when the wait would reach it.
 */
export function retryDelayMs(
  failure: TransientFailure,
  failuresInARow: number,
  nowMs: number,
  deadlineMs: number,
  random: () => number,
): number {
  const spread = Math.min(Math.max(random(), 0), 1);
  let delayMs: number;
  if (failure.kind === 'rate-limited' || (failure.kind === 'server' && failure.retryAfterSeconds !== null)) {
    const askedMs = (failure.retryAfterSeconds ?? RATE_LIMIT_DEFAULT_SECONDS) * 1000;
    delayMs = Math.max(RATE_LIMIT_MIN_MS, askedMs) + spread * RATE_LIMIT_JITTER_MS;
  } else {
    const stepMs = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, failuresInARow - 1));
    delayMs = stepMs / 2 + (spread * stepMs) / 2;
  }
  return Math.round(Math.min(delayMs, Math.max(0, deadlineMs - nowMs)));
}

/** After a failure: ask again after the notice's delay, or give up (too many in a row, or the deadline reached). */
export type RetryStep =
  | { readonly kind: 'retry'; readonly notice: RetryNotice }
  | { readonly kind: 'too-many'; readonly failuresInARow: number; readonly reason: string }
  | { readonly kind: 'past-deadline' };

/** One run of asks that share a deadline (the OTP's end, the device code's) and a count of failures in a row. */
export interface RetryBudget {
  /** The issuer answered as it should (a pending answer too): the count of failures in a row starts again. */
  answered(): void;
  afterFailure(failure: TransientFailure, nowMs: number): RetryStep;
}

export function retryBudget(deadlineMs: number, random: () => number = Math.random): RetryBudget {
  let failuresInARow = 0;
  return {
    answered: () => {
      failuresInARow = 0;
    },
    afterFailure: (failure, nowMs) => {
      failuresInARow += 1;
      if (failuresInARow >= RETRY_FAILURES_MAX) return { kind: 'too-many', failuresInARow, reason: failure.reason };
      const delayMs = retryDelayMs(failure, failuresInARow, nowMs, deadlineMs, random);
      if (nowMs + delayMs >= deadlineMs) return { kind: 'past-deadline' };
      return { kind: 'retry', notice: { reason: failure.reason, delayMs, failuresInARow } };
    },
  };
}

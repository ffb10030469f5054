// user_code and OTP guesses per minute, counted per kiosk session / per phone (the record the bearer token
// found), and per address for requests without a valid token. Checked before anything is recorded, so a refused
// guess changes nothing and is not audited.
import type { RateLimitVerdict } from '../rate-limit.ts';
import { ok, refuse } from '../refusal.ts';
import type { RuleResult } from '../refusal.ts';

export interface GuessCounter {
  take(key: string): RateLimitVerdict;
  /** A request taken as a guess that proved the code (a redeem waiting for the agent): not a guess after all. */
  giveBack(key: string): void;
}

export type GuessKey = `session:${string}` | `device:${string}` | `ip:${string}`;

export function takeGuess(guesses: GuessCounter, key: GuessKey): RuleResult<null, 'rate-limited'> {
  const verdict = guesses.take(key);
  return verdict.allowed ? ok(null) : refuse('rate-limited', { retryAfterSeconds: verdict.retryAfterSeconds });
}

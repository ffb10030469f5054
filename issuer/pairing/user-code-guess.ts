// One typed user_code, looked up for a kiosk sign-in: the rule shared by showing a phone (number matching) and
// approving it. Every look-up spends one of the sign-in's and the card's guesses before the code is looked at, so
// concurrent guesses (any session of this card, any worker) never look at more codes than the limits allow; a code
// that exists was not a wrong guess, and whoever refuses it afterwards gives the guess back (`release`).
// No Fastify here: the rules call this and return what it refuses with.
import { normalizeUserCode } from '../../contracts/user-code.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RuleResult } from '../refusal.ts';
import type { DeviceAuthorizationRecord, KioskSessionRecord, UserCodeGuessLimits } from '../storage/issuer-storage.ts';

/** What a look-up can refuse with (both routes that call it list these codes in ISSUER_API). */
export type UserCodeGuessRefusalCode =
  'user-code-invalid' | 'user-code-attempts-exhausted' | 'invalid-session' | 'user-code-unknown';

function userCodeGuessLimits(ctx: IssuerContext): UserCodeGuessLimits {
  const { maxUserCodeFailures, maxUserCodeFailuresPerCard, userCodeFailureWindowSeconds } = ctx.config.pkiAuth;
  return {
    perSession: maxUserCodeFailures,
    perCard: maxUserCodeFailuresPerCard,
    windowMs: userCodeFailureWindowSeconds * 1000,
  };
}

export interface FoundDevice {
  readonly device: DeviceAuthorizationRecord;
  /** Gives the guess back: the code exists, whatever refuses it now is not a wrong guess. */
  release(): Promise<void>;
}

/**
 * The device authorization behind a typed code, or the refusal (its audit row written under `event`).
 * Unknown codes count against the sign-in; at the limit the sign-in ends.
 */
export async function findDeviceByUserCode(
  ctx: IssuerContext,
  session: KioskSessionRecord,
  typed: string,
  event: string,
): Promise<RuleResult<FoundDevice, UserCodeGuessRefusalCode>> {
  const sessionDetails = { sessionId: session.id, cardId: session.cardId };
  const userCode = normalizeUserCode(typed);
  if (userCode === null) return auditedRefusal(ctx, event, 'user-code-invalid', sessionDetails);
  const taken = await ctx.storage.takeUserCodeGuess(
    session.id,
    session.cardId,
    ctx.now().getTime(),
    userCodeGuessLimits(ctx),
  );
  if (taken === 'card-limit') return auditedRefusal(ctx, event, 'user-code-attempts-exhausted', sessionDetails);
  if (taken === 'session-limit')
    return auditedRefusal(ctx, event, 'invalid-session', sessionDetails, { detail: 'Too many wrong codes.' });
  const device = await ctx.storage.findDeviceAuthorizationByUserCodeHash(ctx.codes.hash('user-code', '', userCode));
  if (device === null) return wrongUserCode(ctx, session, event);
  return ok({ device, release: () => ctx.storage.releaseUserCodeGuess(session.id, session.cardId) });
}

/** The failure (already counted when the guess was taken) ends the session at the limit, with its audit row. */
async function wrongUserCode(
  ctx: IssuerContext,
  session: KioskSessionRecord,
  event: string,
): Promise<RuleResult<never, 'user-code-unknown'>> {
  const maxFailures = ctx.config.pkiAuth.maxUserCodeFailures;
  const failures = await ctx.storage.recordUserCodeFailure(
    session.id,
    maxFailures,
    ctx.now().getTime(),
    auditEntry(ctx, event, 'failure', 'user-code-unknown', { sessionId: session.id, cardId: session.cardId }),
  );
  const attemptsLeft = Math.max(0, maxFailures - failures);
  return refuse('user-code-unknown', {
    attemptsLeft,
    detail: attemptsLeft === 0 ? '(No tries left: sign in with the card again.)' : `(${attemptsLeft} tries left.)`,
  });
}

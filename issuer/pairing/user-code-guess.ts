// One typed user_code, looked up for a kiosk sign-in: the rule shared by showing a phone (number matching) and
// approving it. Every look-up spends one of the sign-in's and the card's guesses before the code is looked at, so
// concurrent guesses (any session of this card, any worker) never look at more codes than the limits allow; a code
// that exists was not a wrong guess, and whoever refuses it afterwards gives the guess back (`release`).
// No Fastify here: the handlers call this and send what it returns.
import { normalizeUserCode } from '../../contracts/issuer-api.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import type { DeviceAuthorizationRecord, KioskSessionRecord, UserCodeGuessLimits } from '../storage/issuer-storage.ts';
import type { RuleRefusal } from './rule-result.ts';
import { refusal } from './rule-result.ts';

function userCodeGuessLimits(ctx: IssuerContext): UserCodeGuessLimits {
  const { maxUserCodeFailures, maxUserCodeFailuresPerCard, userCodeFailureWindowSeconds } = ctx.config.pkiAuth;
  return { perSession: maxUserCodeFailures, perCard: maxUserCodeFailuresPerCard, windowMs: userCodeFailureWindowSeconds * 1000 };
}

export interface FoundDevice {
  readonly ok: true;
  readonly device: DeviceAuthorizationRecord;
  /** Gives the guess back: the code exists, whatever refuses it now is not a wrong guess. */
  release(): Promise<void>;
}

/**
 * The device authorization behind a typed code, or the refusal (its audit row written under `event`).
 * Unknown codes count against the sign-in; at the limit the sign-in ends.
 */
export async function findDeviceByUserCode(
  ctx: IssuerContext, session: KioskSessionRecord, typed: string, event: string,
): Promise<FoundDevice | RuleRefusal> {
  const audited = async (status: number, code: RuleRefusal['code'], message: string): Promise<RuleRefusal> => {
    await ctx.audit(event, 'failure', code, { sessionId: session.id, cardId: session.cardId });
    return refusal(status, code, message);
  };
  const userCode = normalizeUserCode(typed);
  if (userCode === null) return audited(400, 'user-code-invalid', 'A code has 8 letters, like WDJB-MJHT.');
  const taken = await ctx.storage.takeUserCodeGuess(session.id, session.cardId, ctx.now().getTime(), userCodeGuessLimits(ctx));
  if (taken === 'card-limit') {
    return audited(429, 'user-code-attempts-exhausted', 'Too many wrong codes for this card: wait an hour, or ask the help desk.');
  }
  if (taken === 'session-limit') return audited(401, 'invalid-session', 'Too many wrong codes: sign in with the card again.');
  const device = await ctx.storage.findDeviceAuthorizationByUserCodeHash(ctx.codes.hash('user-code', '', userCode));
  if (device === null) {
    const maxFailures = ctx.config.pkiAuth.maxUserCodeFailures;
    // The failure (already counted when the guess was taken) ends the session at the limit, with its audit row.
    const failures = await ctx.storage.recordUserCodeFailure(session.id, maxFailures, ctx.now().getTime(),
      auditEntry(ctx, event, 'failure', 'user-code-unknown', { sessionId: session.id, cardId: session.cardId }));
    const left = maxFailures - failures;
    return refusal(404, 'user-code-unknown', left <= 0
      ? 'That code is not known. Too many wrong codes: sign in with the card again.'
      : `That code is not known. Check the phone and try again (${left} tries left).`);
  }
  return { ok: true, device, release: () => ctx.storage.releaseUserCodeGuess(session.id, session.cardId) };
}

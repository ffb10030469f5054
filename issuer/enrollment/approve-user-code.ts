// The kiosk approves the phone's user_code for the signed-in card: the device flow is bound to that card and an
// enrollment is created (QR payload + OTP). Guesses are limited per session and per card in the database, the
// card is checked again (dates, trust, revocation), and one sign-in approves at most maxApprovalsPerSession phones.
import { normalizeUserCode } from '../../contracts/user-code.ts';
import { cardLifetimeRefusal, recheckCardStatus } from '../card-status.ts';
import { activeKioskSession } from '../bearer-holders.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { RouteRefusalCode } from '../../contracts/issuer-routes.ts';
import { newRecordId } from '../secrets.ts';
import type { DeviceAuthorizationRecord, KioskSessionRecord, UserCodeGuessLimits } from '../storage/issuer-storage.ts';
import { takeGuess } from './code-guesses.ts';
import type { GuessCounter } from './code-guesses.ts';
import { enrollmentCode, freshOtp } from './enrollment-code.ts';

function userCodeGuessLimits(ctx: IssuerContext): UserCodeGuessLimits {
  const { maxUserCodeFailures, maxUserCodeFailuresPerCard, userCodeFailureWindowSeconds } = ctx.config.pkiAuth;
  return { perSession: maxUserCodeFailures, perCard: maxUserCodeFailuresPerCard, windowMs: userCodeFailureWindowSeconds * 1000 };
}

export async function approveUserCode(
  ctx: IssuerContext, guesses: GuessCounter, input: { sessionToken: string | null; userCode: string; ip: string },
): Promise<RouteRuleResult<'approveUserCode'>> {
  const session = await activeKioskSession(ctx, input.sessionToken);
  const guess = takeGuess(guesses, session === null ? `ip:${input.ip}` : `session:${session.id}`);
  if (!guess.ok) return guess;
  if (session === null) return refuse('invalid-session');
  const sessionDetails = { sessionId: session.id, cardId: session.cardId };
  const userCode = normalizeUserCode(input.userCode);
  if (userCode === null) return auditedRefusal(ctx, 'approve', 'user-code-invalid', sessionDetails);
  // The guess is taken before the code is looked at, so concurrent guesses (any session of this card, any
  // worker) can never look at more codes than the limits allow.
  const taken = await ctx.storage.takeUserCodeGuess(session.id, session.cardId, ctx.now().getTime(), userCodeGuessLimits(ctx));
  if (taken === 'card-limit') return auditedRefusal(ctx, 'approve', 'user-code-attempts-exhausted', sessionDetails);
  if (taken === 'session-limit') {
    return auditedRefusal(ctx, 'approve', 'invalid-session', sessionDetails, { detail: 'Too many wrong codes.' });
  }
  const device = await ctx.storage.findDeviceAuthorizationByUserCodeHash(ctx.codes.hash('user-code', '', userCode));
  if (device === null) return wrongUserCode(ctx, session);
  return approveDevice(ctx, session, device);
}

/** The failure (already counted when the guess was taken) ends the session at the limit, with its audit row. */
async function wrongUserCode(ctx: IssuerContext, session: KioskSessionRecord): Promise<RouteRuleResult<'approveUserCode'>> {
  const maxFailures = ctx.config.pkiAuth.maxUserCodeFailures;
  const failures = await ctx.storage.recordUserCodeFailure(session.id, maxFailures, ctx.now().getTime(),
    auditEntry(ctx, 'approve', 'failure', 'user-code-unknown', { sessionId: session.id, cardId: session.cardId }));
  const attemptsLeft = Math.max(0, maxFailures - failures);
  return refuse('user-code-unknown', {
    attemptsLeft,
    detail: attemptsLeft === 0 ? '(No tries left: sign in with the card again.)' : `(${attemptsLeft} tries left.)`,
  });
}

async function approveDevice(
  ctx: IssuerContext, session: KioskSessionRecord, device: DeviceAuthorizationRecord,
): Promise<RouteRuleResult<'approveUserCode'>> {
  const deviceId = device.id;
  const details = { sessionId: session.id, cardId: session.cardId, deviceAuthorizationId: deviceId };
  // A code that exists was not a wrong guess: whatever refuses it now gives the guess back.
  const giveBack = async (code: RouteRefusalCode<'approveUserCode'>, detail?: string) => {
    await ctx.storage.releaseUserCodeGuess(session.id, session.cardId);
    return auditedRefusal(ctx, 'approve', code, details, detail === undefined ? {} : { detail });
  };
  const nowDate = ctx.now();
  const now = nowDate.getTime();
  if (device.status !== 'pending') return giveBack('user-code-already-used');
  if (now >= device.expiresAt) return giveBack('user-code-expired');
  const card = await ctx.storage.findCard(session.cardId);
  if (card?.uuid == null) return giveBack('identity-missing');
  const cardRefusal = cardLifetimeRefusal(ctx, card, nowDate)
    ?? await recheckCardStatus(ctx, card, 'approve', { sessionId: session.id, deviceAuthorizationId: deviceId });
  if (cardRefusal !== null) return giveBack(cardRefusal.code, cardRefusal.detail);
  const enrollmentId = newRecordId();
  const { otp, otpHash, expiresAt } = freshOtp(ctx, enrollmentId);
  const approved = await ctx.storage.approveDeviceAuthorization(deviceId, {
    id: enrollmentId, deviceAuthorizationId: deviceId, cardId: card.id, kioskSessionId: session.id,
    status: 'awaiting-phone', otpHash, otpExpiresAt: expiresAt, otpFailures: 0, createdAt: now, completedAt: null,
    derivedCertificateSerialHex: null,
  }, ctx.config.pkiAuth.maxApprovalsPerSession, auditEntry(ctx, 'approve', 'success', null, {
    ...details, cardId: card.id, enrollmentId, clientId: device.clientId,
  }));
  if (approved === 'not-pending') return auditedRefusal(ctx, 'approve', 'user-code-already-used', details);
  if (approved === 'session-limit') return auditedRefusal(ctx, 'approve', 'session-approval-limit', details);
  return ok(enrollmentCode(ctx, enrollmentId, otp));
}

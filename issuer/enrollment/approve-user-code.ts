// The kiosk approves the phone's user_code for the signed-in card: the device flow is bound to that card and an
// enrollment is created (QR payload + OTP). Guesses are limited per session and per card in the database, the
// card is checked again (dates, trust, revocation), and one sign-in approves at most maxApprovalsPerSession phones.
// Approval needs number matching first (issuer/pairing/device-pairing.ts): this sign-in showed the phone, and the
// number confirmed is the phone's.
import type { ApproveRequest } from '../../contracts/issuer-api.ts';
import { cardLifetimeRefusal, recheckCardStatus } from '../card-status.ts';
import { activeKioskSession } from '../bearer-holders.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { RouteRefusalCode } from '../../contracts/issuer-routes.ts';
import { newRecordId } from '../secrets.ts';
import { approvalPairingRefusal, shownDetails } from '../pairing/device-pairing.ts';
import { findDeviceByUserCode } from '../pairing/user-code-guess.ts';
import type { FoundDevice } from '../pairing/user-code-guess.ts';
import type { KioskSessionRecord } from '../storage/issuer-storage.ts';
import { takeGuess } from './code-guesses.ts';
import type { GuessCounter } from './code-guesses.ts';
import { enrollmentCode, freshOtp } from './enrollment-code.ts';
import { sessionKioskRefusal, signingKiosk } from '../kiosks/kiosk-request.ts';
import type { KioskRequestProof } from '../kiosks/kiosk-request.ts';

export async function approveUserCode(
  ctx: IssuerContext,
  guesses: GuessCounter,
  input: { sessionToken: string | null; request: ApproveRequest; ip: string; kioskProof: KioskRequestProof },
): Promise<RouteRuleResult<'approveUserCode'>> {
  // Which registered kiosk asks (issuer/kiosks/kiosk-request.ts) before any guess is counted.
  const signer = await signingKiosk(ctx, 'approve', input.kioskProof, input.ip);
  if (!signer.ok) return signer;
  const session = await activeKioskSession(ctx, input.sessionToken);
  // Another kiosk's call on this kiosk's session counts no guess.
  const otherKiosk = session === null ? null : await sessionKioskRefusal(ctx, 'approve', session, signer.value);
  if (otherKiosk !== null) return otherKiosk;
  const guess = takeGuess(guesses, session === null ? `ip:${input.ip}` : `session:${session.id}`);
  if (!guess.ok) return guess;
  if (session === null) return refuse('invalid-session');
  const found = await findDeviceByUserCode(ctx, session, input.request.userCode, 'approve');
  if (!found.ok) return found;
  return approveDevice(ctx, session, found.value, input.request, signer.value);
}

async function approveDevice(
  ctx: IssuerContext,
  session: KioskSessionRecord,
  found: FoundDevice,
  request: ApproveRequest,
  kioskId: string | null,
): Promise<RouteRuleResult<'approveUserCode'>> {
  const { device } = found;
  const deviceId = device.id;
  const details = { sessionId: session.id, cardId: session.cardId, deviceAuthorizationId: deviceId, kioskId };
  // A code that exists was not a wrong guess: whatever refuses it now gives the guess back.
  const giveBack = async (code: RouteRefusalCode<'approveUserCode'>, detail?: string) => {
    await found.release();
    return auditedRefusal(ctx, 'approve', code, details, detail === undefined ? {} : { detail });
  };
  const nowDate = ctx.now();
  const now = nowDate.getTime();
  if (device.status !== 'pending') return giveBack('user-code-already-used');
  if (now >= device.expiresAt) return giveBack('user-code-expired');
  // Number matching: only the phone this sign-in showed, with the number the person confirmed.
  const unpaired = approvalPairingRefusal(ctx, session, device, request);
  if (unpaired !== null) return giveBack(unpaired.code);
  const card = await ctx.storage.findCard(session.cardId);
  if (card?.uuid == null) return giveBack('identity-missing');
  const cardRefusal =
    cardLifetimeRefusal(ctx, card, nowDate) ??
    (await recheckCardStatus(ctx, card, 'approve', { sessionId: session.id, deviceAuthorizationId: deviceId }));
  if (cardRefusal !== null) return giveBack(cardRefusal.code, cardRefusal.detail);
  const enrollmentId = newRecordId();
  const { otp, otpHash, expiresAt } = freshOtp(ctx, enrollmentId);
  const approved = await ctx.storage.approveDeviceAuthorization(
    deviceId,
    {
      id: enrollmentId,
      deviceAuthorizationId: deviceId,
      cardId: card.id,
      kioskSessionId: session.id,
      status: 'awaiting-phone',
      otpHash,
      otpExpiresAt: expiresAt,
      otpFailures: 0,
      createdAt: now,
      completedAt: null,
      derivedCertificateSerialHex: null,
      phoneFetchedAt: null,
      kioskId,
    },
    ctx.config.pkiAuth.maxApprovalsPerSession,
    auditEntry(ctx, 'approve', 'success', null, {
      ...details,
      cardId: card.id,
      enrollmentId,
      clientId: device.clientId,
      // What the person was shown and confirmed (number matching).
      ...shownDetails(device, request.matchNumber),
      pairingShownAt: device.pairing?.shownAt ?? null,
    }),
  );
  if (approved === 'not-pending') return auditedRefusal(ctx, 'approve', 'user-code-already-used', details);
  if (approved === 'session-limit') return auditedRefusal(ctx, 'approve', 'session-approval-limit', details);
  // A new enrollment: the agents' live queue (issuer/agent/enrollment-queue.ts) looks again.
  ctx.events.notify(enrollmentId);
  return ok(enrollmentCode(ctx, enrollmentId, otp));
}

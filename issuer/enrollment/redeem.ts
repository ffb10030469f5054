// The phone redeems its enrollment: device access token + OTP + CSR → a derived PIV Authentication certificate.
// The OTP has a few tries per enrollment (the last wrong one burns it); the card is checked again as it is now.
// The same phone asking again for an enrollment it completed (its answer lost) gets the same certificate again
// (redeliver-issued.ts).
import type { RedeemRequest } from '../../contracts/issuer-api.ts';
import { checkCsr } from '../ca/csr.ts';
import { redemptionWithAccessToken } from '../bearer-holders.ts';
import { cardLifetimeRefusal, recheckCardStatus } from '../card-status.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { Refusal, RouteRuleResult } from '../refusal.ts';
import { DEFAULT_TENANT, boundDevice, cardRevocationSources } from '../lifecycle/binding.ts';
import { issuedAnswer, signForCard } from './issue-for-card.ts';
import { otpMatches } from './enrollment-code.ts';
import { redeliverIssued } from './redeliver-issued.ts';
import type { EnrollmentRecord, NewDerivedCertificate, RedemptionParties } from '../storage/issuer-storage.ts';
import { takeGuess } from './code-guesses.ts';
import type { GuessCounter, GuessKey } from './code-guesses.ts';
import { credentialIssuedNotices } from '../notifications/notices.ts';
import { awaitingAffirmation } from '../agent/supervised-issuance.ts';

/**
 * The redeem's counters: OTP guesses (shared with the approve route's user_code guesses), and the asks of a phone
 * waiting for the agent under supervised issuance (supervised-issuance.ts AFFIRMATION_POLLS_PER_MINUTE).
 */
export interface RedeemLimits {
  guesses: GuessCounter;
  affirmationPolls: GuessCounter;
}

export interface RedeemInput {
  accessToken: string | null;
  enrollmentId: string;
  request: RedeemRequest;
  ip: string;
}

export async function redeemEnrollment(
  ctx: IssuerContext,
  limits: RedeemLimits,
  input: RedeemInput,
): Promise<RouteRuleResult<'redeemEnrollment'>> {
  // The device, the enrollment and its card in one read (one statement on PostgreSQL); the refusals below look at
  // them in the order they always did, so reading the enrollment and card early only changes when they are read.
  const parties = await redemptionWithAccessToken(ctx, input.accessToken, input.enrollmentId);
  const deviceId = parties?.device.id ?? null;
  const guess = takeGuess(limits.guesses, deviceId === null ? `ip:${input.ip}` : `device:${deviceId}`);
  if (!guess.ok) return guess;
  const details = { enrollmentId: input.enrollmentId, deviceAuthorizationId: deviceId, ip: input.ip };
  if (parties === null) return auditedRefusal(ctx, 'redeem', 'invalid-token', details);
  const { device, enrollment, card } = parties;
  if (enrollment === null) return auditedRefusal(ctx, 'redeem', 'enrollment-unknown', details);
  if (enrollment.deviceAuthorizationId !== device.id) return auditedRefusal(ctx, 'redeem', 'wrong-device', details);
  if (enrollment.status === 'burned') return auditedRefusal(ctx, 'redeem', 'enrollment-burned', details);
  if (enrollment.status === 'card-revoked') return auditedRefusal(ctx, 'redeem', 'card-revoked', details);
  if (enrollment.status === 'completed') return redeliverIssued(ctx, enrollment, input.request, details);
  if (ctx.now().getTime() >= enrollment.otpExpiresAt) return auditedRefusal(ctx, 'redeem', 'otp-expired', details);
  if (!otpMatches(ctx, enrollment, input.request.otp)) return wrongOtp(ctx, enrollment, details);
  return issueFor(ctx, limits, { device, enrollment, card }, input.request, details);
}

/** The count (which burns the enrollment at the limit) and its audit row: one transaction. */
async function wrongOtp(
  ctx: IssuerContext,
  enrollment: EnrollmentRecord,
  details: Record<string, string | null>,
): Promise<RouteRuleResult<'redeemEnrollment'>> {
  const { failures, burned } = await ctx.storage.recordOtpFailure(enrollment.id, ctx.config.otp.maxAttempts, (result) =>
    auditEntry(ctx, 'redeem', 'failure', result.burned ? 'enrollment-burned' : 'otp-wrong', details),
  );
  ctx.events.notify(enrollment.id);
  if (burned) return refuse('enrollment-burned');
  const attemptsLeft = Math.max(0, ctx.config.otp.maxAttempts - failures);
  return refuse('otp-wrong', { attemptsLeft, detail: `(${attemptsLeft} tries left.)` });
}

/**
 * A phone asking again while the agent has not affirmed its key proved the OTP: the ask is not a guess (a phone that
 * follows the Retry-After for minutes would otherwise run out of guesses, sooner with --workers, which split them),
 * it counts against the waiting asks instead.
 */
function waitingForAgent(
  limits: RedeemLimits,
  key: GuessKey,
  pending: Refusal<'affirmation-pending'>,
): RouteRuleResult<'redeemEnrollment'> {
  limits.guesses.giveBack(key);
  const ask = takeGuess(limits.affirmationPolls, key);
  if (!ask.ok) return ask;
  return { ok: false, error: pending };
}

async function issueFor(
  ctx: IssuerContext,
  limits: RedeemLimits,
  { device, enrollment, card }: RedemptionParties & { enrollment: EnrollmentRecord },
  request: RedeemRequest,
  details: Record<string, string | null>,
): Promise<RouteRuleResult<'redeemEnrollment'>> {
  const csr = checkCsr(request.csr);
  if (!csr.ok) return auditedRefusal(ctx, 'redeem', csr.code, details, { detail: csr.message });
  if (card?.uuid == null) return auditedRefusal(ctx, 'redeem', 'identity-missing', details);
  // The card as it is now, not as it was at sign-in: dates, then trust and revocation.
  const now = ctx.now();
  const cardRefusal =
    cardLifetimeRefusal(ctx, card, now) ??
    (await recheckCardStatus(ctx, card, 'redeem', { enrollmentId: enrollment.id, deviceAuthorizationId: device.id }));
  if (cardRefusal !== null)
    return auditedRefusal(ctx, 'redeem', cardRefusal.code, details, { detail: cardRefusal.detail });
  // Supervised issuance: nothing is signed until a help-desk agent affirmed this key.
  const pending = await awaitingAffirmation(ctx, enrollment, csr.subjectPublicKeySpkiDer, details);
  if (pending !== null) return waitingForAgent(limits, `device:${device.id}`, pending);
  // Signed before the enrollment is marked completed, so that marking, the certificate record and the audit row
  // are one transaction. Two concurrent redemptions may both sign; only the one whose OTP hash still matches
  // stores its certificate, the other's is never handed out (the stored one is, if it is for the same key).
  const issued = await signForCard(ctx, { ...card, uuid: card.uuid }, csr.subjectPublicKeySpkiDer, now);
  const reported = boundDevice(request.device, device, enrollment);
  const derived: NewDerivedCertificate = {
    serialNumberHex: issued.serialNumberHex,
    cardId: card.id,
    deviceAuthorizationId: device.id,
    enrollmentId: enrollment.id,
    certificateDer: issued.certificateDer,
    notBefore: issued.notBefore.getTime(),
    notAfter: issued.notAfter.getTime(),
    issuedAt: now.getTime(),
    device: reported,
    tenant: DEFAULT_TENANT,
    issuerGeneration: ctx.issuerGeneration,
    cardRevocationSources: cardRevocationSources(card.certificateDer),
  };
  // The cardholder's notice (SP 800-157r1 SHALL) commits with the certificate, or neither does; so does the
  // revocation (superseded) of the same card's older credential on this device (renewal).
  const completed = await ctx.storage.completeEnrollment(
    enrollment.id,
    enrollment.otpHash,
    derived,
    auditEntry(ctx, 'redeem', 'success', null, {
      enrollmentId: enrollment.id,
      deviceAuthorizationId: device.id,
      cardId: card.id,
      derivedSerial: issued.serialNumberHex,
      keyAlgorithm: csr.keyAlgorithm,
      notAfter: issued.notAfter.toISOString(),
      deviceId: reported.id,
      deviceSource: reported.source,
    }),
    (serialNumberHex) =>
      auditEntry(ctx, 'credential-revoke', 'success', 'superseded', {
        serialNumberHex,
        actorKind: 'issuer',
        actor: 'renewal',
        note: `superseded by ${issued.serialNumberHex}`,
      }),
    credentialIssuedNotices((await ctx.tenant()).notificationTypes, derived, device.clientId, now.getTime()),
  );
  if (!completed.completed && completed.reason === 'generation-retired')
    return auditedRefusal(ctx, 'redeem', 'issuer-replaced', details);
  if (!completed.completed) return lostTheRace(ctx, enrollment.id, request, details);
  // The superseded credential must be in the CRL now, not at the next check; a failure here is caught up by it.
  if (completed.superseded.length > 0) {
    ctx.crl.refresh().catch(() => {
      process.emitWarning('derived CRL not regenerated after a renewal; the next check does it');
    });
  }
  ctx.events.notify(enrollment.id);
  return ok(issuedAnswer(ctx, issued));
}

/**
 * Another redemption completed the enrollment while this one was signing (a phone's retry racing its first ask):
 * if it was this phone with this key, the stored certificate is the answer; otherwise refused as before.
 */
async function lostTheRace(
  ctx: IssuerContext,
  enrollmentId: string,
  request: RedeemRequest,
  details: Record<string, string | null>,
): Promise<RouteRuleResult<'redeemEnrollment'>> {
  const now = await ctx.storage.findEnrollment(enrollmentId);
  if (now?.status === 'completed') return redeliverIssued(ctx, now, request, details);
  return auditedRefusal(ctx, 'redeem', 'enrollment-completed', details);
}

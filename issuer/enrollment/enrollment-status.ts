// The state of an enrollment as kiosks see it, now or after a long poll: `awaiting-phone`, `completed`, `burned`
// (too many wrong OTPs, or the card was revoked) or `expired` (the OTP died).
import type { EnrollmentState, EnrollmentStatus, EnrollmentStatusQuery } from '../../contracts/issuer-api.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { EnrollmentRecord } from '../storage/issuer-storage.ts';
import { findKioskEnrollment } from './kiosk-enrollment.ts';

export function publicState(enrollment: EnrollmentRecord, now: number): EnrollmentState {
  if (enrollment.status === 'completed') return 'completed';
  // A revoked card's enrollment is over like a burned one; the kiosk and phone learn why from the error code.
  if (enrollment.status === 'burned' || enrollment.status === 'card-revoked') return 'burned';
  return now >= enrollment.otpExpiresAt ? 'expired' : 'awaiting-phone';
}

export async function statusOf(
  ctx: Pick<IssuerContext, 'storage' | 'now'>,
  enrollment: EnrollmentRecord,
): Promise<EnrollmentStatus> {
  const status: EnrollmentStatus = {
    enrollmentId: enrollment.id,
    state: publicState(enrollment, ctx.now().getTime()),
    phoneSeen: phoneSeen(enrollment),
  };
  if (enrollment.derivedCertificateSerialHex !== null) {
    const certificate = await ctx.storage.findDerivedCertificate(enrollment.derivedCertificateSerialHex);
    status.certificateSerialHex = enrollment.derivedCertificateSerialHex;
    if (certificate !== null) status.certificateNotAfter = new Date(certificate.notAfter).toISOString();
  }
  return status;
}

/**
 * The phone holds this QR code: it fetched the enrollment after scanning it, or a password try for it reached the
 * issuer (a wrong one; a right one completes).
 */
function phoneSeen(enrollment: EnrollmentRecord): boolean {
  return enrollment.phoneFetchedAt !== null || enrollment.otpFailures > 0;
}

/** What a long poll without `since` waits to change: the state, and whether the phone has been seen. */
function progressKey(enrollment: EnrollmentRecord, now: number): string {
  return `${publicState(enrollment, now)}:${phoneSeen(enrollment)}`;
}

/**
 * The enrollment's status once its state differs from `since` (without `since`: once its state or phoneSeen
 * differs from now), or after `waitSeconds` (real time), or when the caller has gone. Wakes on a change notice, and
 * when the OTP expires (which nobody notifies).
 */
export async function watchEnrollment(
  ctx: IssuerContext,
  input: { sessionToken: string | null; enrollmentId: string; query: EnrollmentStatusQuery; callerGone: () => boolean },
): Promise<RouteRuleResult<'enrollmentStatus'>> {
  const found = await findKioskEnrollment(ctx, input.sessionToken, input.enrollmentId);
  if (!found.ok) return found;
  const deadline = Date.now() + (input.query.waitSeconds ?? 0) * 1000;
  let enrollment = found.value.enrollment;
  const since = input.query.since;
  const current = (record: EnrollmentRecord): string =>
    since === undefined ? progressKey(record, ctx.now().getTime()) : publicState(record, ctx.now().getTime());
  const waitingFor = since ?? current(enrollment);
  while (current(enrollment) === waitingFor && Date.now() < deadline && !input.callerGone()) {
    const untilExpiry = enrollment.otpExpiresAt - ctx.now().getTime();
    const wait = Math.min(deadline - Date.now(), untilExpiry > 0 ? untilExpiry + 5 : deadline - Date.now());
    await ctx.events.nextChange(enrollment.id, wait);
    enrollment = (await ctx.storage.findEnrollment(enrollment.id)) ?? enrollment;
  }
  return ok(await statusOf(ctx, enrollment));
}

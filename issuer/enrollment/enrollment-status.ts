// The state of an enrollment as kiosks see it, now or after a long poll: `awaiting-phone`, `completed`, `burned`
// (too many wrong OTPs, or the card was revoked) or `expired` (the OTP died).
import type {
  AgentCheck,
  EnrollmentState,
  EnrollmentStatus,
  EnrollmentStatusQuery,
} from '../../contracts/issuer-api.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { EnrollmentRecord, EnrollmentSupervision } from '../storage/issuer-storage.ts';
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
  const agentCheck = agentCheckOf(await ctx.storage.findEnrollmentSupervision(enrollment.id));
  if (agentCheck !== null) status.agentCheck = agentCheck;
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

/**
 * Supervised issuance as the kiosk shows it: the fingerprint of the key the phone's redeem waits with, and whether an
 * agent affirmed that very key (an affirmation of an earlier key does not count). Null before a supervised redeem.
 */
export function agentCheckOf(supervision: EnrollmentSupervision | null): AgentCheck | null {
  if (supervision === null || supervision.keyFingerprint === null) return null;
  return {
    keyFingerprint: supervision.keyFingerprint,
    affirmed: supervision.affirmedFingerprint === supervision.keyFingerprint,
  };
}

/** What a long poll without `since` waits to change: the state, whether the phone has been seen, the agent check. */
async function progressKey(ctx: Pick<IssuerContext, 'storage' | 'now'>, enrollment: EnrollmentRecord): Promise<string> {
  const check = agentCheckOf(await ctx.storage.findEnrollmentSupervision(enrollment.id));
  const agent = check === null ? '-' : `${check.keyFingerprint}/${check.affirmed}`;
  return `${publicState(enrollment, ctx.now().getTime())}:${phoneSeen(enrollment)}:${agent}`;
}

/**
 * The enrollment's status once its state differs from `since` (without `since`: once its state, phoneSeen or agent
 * check differs from now), or after `waitSeconds` (real time), or when the caller has gone. Wakes on a change notice, and
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
  const current = async (record: EnrollmentRecord): Promise<string> =>
    since === undefined ? progressKey(ctx, record) : publicState(record, ctx.now().getTime());
  const stillWaiting = () => Date.now() < deadline && !input.callerGone();
  // Each comparison reads the agent check from the database: a read that does not wait (the kiosk's plain status
  // read) compares nothing, and without `since` the state waited on is the one just read, so the wait comes first.
  if (stillWaiting()) {
    const waitingFor = since ?? (await current(enrollment));
    let changed = since !== undefined && (await current(enrollment)) !== waitingFor;
    while (!changed && stillWaiting()) {
      const untilExpiry = enrollment.otpExpiresAt - ctx.now().getTime();
      const wait = Math.min(deadline - Date.now(), untilExpiry > 0 ? untilExpiry + 5 : deadline - Date.now());
      await ctx.events.nextChange(enrollment.id, wait);
      enrollment = (await ctx.storage.findEnrollment(enrollment.id)) ?? enrollment;
      changed = (await current(enrollment)) !== waitingFor;
    }
  }
  return ok(await statusOf(ctx, enrollment));
}

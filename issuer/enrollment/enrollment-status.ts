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
import type { EnrollmentRecord, EnrollmentSupervision, SupervisedEnrollment } from '../storage/issuer-storage.ts';
import { findKioskEnrollment } from './kiosk-enrollment.ts';

export function publicState(enrollment: EnrollmentRecord, now: number): EnrollmentState {
  if (enrollment.status === 'completed') return 'completed';
  // A revoked card's enrollment is over like a burned one; the kiosk and phone learn why from the error code.
  if (enrollment.status === 'burned' || enrollment.status === 'card-revoked') return 'burned';
  return now >= enrollment.otpExpiresAt ? 'expired' : 'awaiting-phone';
}

export async function statusOf(
  ctx: Pick<IssuerContext, 'storage' | 'now'>,
  { enrollment, supervision }: SupervisedEnrollment,
): Promise<EnrollmentStatus> {
  const status: EnrollmentStatus = {
    enrollmentId: enrollment.id,
    state: publicState(enrollment, ctx.now().getTime()),
    phoneSeen: phoneSeen(enrollment),
  };
  const agentCheck = agentCheckOf(supervision);
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
function progressKey({ enrollment, supervision }: SupervisedEnrollment, now: number): string {
  const check = agentCheckOf(supervision);
  const agent = check === null ? '-' : `${check.keyFingerprint}/${check.affirmed}`;
  return `${publicState(enrollment, now)}:${phoneSeen(enrollment)}:${agent}`;
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
  const first: SupervisedEnrollment = found.value;
  const deadline = Date.now() + (input.query.waitSeconds ?? 0) * 1000;
  const wait: Waiting = { deadline, stillWaiting: () => Date.now() < deadline && !input.callerGone() };
  // A read that does not wait (the kiosk's plain status read) compares nothing: the status just read is the answer.
  if (!wait.stillWaiting()) return ok(await statusOf(ctx, first));
  const since = input.query.since;
  const last =
    since === undefined
      ? await waitForProgress(ctx, first, wait)
      : await waitForStateOtherThan(ctx, since, first, wait);
  return ok(await statusOf(ctx, last));
}

interface Waiting {
  deadline: number;
  stillWaiting: () => boolean;
}

/** With `since`: a state that already differs answers at once; otherwise the wait is for one that does. */
function waitForStateOtherThan(
  ctx: IssuerContext,
  since: string,
  first: SupervisedEnrollment,
  wait: Waiting,
): Promise<SupervisedEnrollment> {
  return readUntil(ctx, first, wait, (read) => publicState(read.enrollment, ctx.now().getTime()) !== since);
}

/**
 * Without `since`: what is waited on is the progress just read (state, phoneSeen, agent check), so the first read
 * never counts as a change; the wait comes first.
 */
function waitForProgress(
  ctx: IssuerContext,
  first: SupervisedEnrollment,
  wait: Waiting,
): Promise<SupervisedEnrollment> {
  const waitingFor = progressKey(first, ctx.now().getTime());
  return readUntil(ctx, first, wait, (read) => progressKey(read, ctx.now().getTime()) !== waitingFor);
}

/**
 * `changed` on the read in hand, else the enrollment read again (with its supervision, one read) after each change
 * notice or the OTP's expiry, until `changed` or the wait is over.
 */
async function readUntil(
  ctx: IssuerContext,
  first: SupervisedEnrollment,
  wait: Waiting,
  changed: (read: SupervisedEnrollment) => boolean,
): Promise<SupervisedEnrollment> {
  let read = first;
  while (!changed(read) && wait.stillWaiting()) {
    const untilExpiry = read.enrollment.otpExpiresAt - ctx.now().getTime();
    const left = wait.deadline - Date.now();
    await ctx.events.nextChange(read.enrollment.id, Math.min(left, untilExpiry > 0 ? untilExpiry + 5 : left));
    read = (await ctx.storage.findSupervisedEnrollment(read.enrollment.id)) ?? read;
  }
  return read;
}

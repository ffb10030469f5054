// The kiosk asks for a fresh QR payload + OTP for its waiting enrollment: the old OTP dies, the tries left do not
// reset (they count per enrollment).
import type { IssuerContext } from '../issuer-context.ts';
import { auditEntry } from '../issuer-context.ts';
import { auditedRefusal, ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { enrollmentCode, freshOtp } from './enrollment-code.ts';
import { findKioskEnrollment } from './kiosk-enrollment.ts';
import { sessionKioskRefusal, signingKiosk } from '../kiosks/kiosk-request.ts';
import type { KioskRequestProof } from '../kiosks/kiosk-request.ts';

export async function refreshEnrollment(
  ctx: IssuerContext,
  input: { sessionToken: string | null; enrollmentId: string; ip: string; kioskProof: KioskRequestProof },
): Promise<RouteRuleResult<'refreshEnrollment'>> {
  const signer = await signingKiosk(ctx, 'refresh-otp', input.kioskProof, input.ip);
  if (!signer.ok) return signer;
  const found = await findKioskEnrollment(ctx, input.sessionToken, input.enrollmentId);
  if (!found.ok) return found;
  const { enrollment, session } = found.value;
  const otherKiosk = await sessionKioskRefusal(ctx, 'refresh-otp', session, signer.value);
  if (otherKiosk !== null) return otherKiosk;
  const details = { enrollmentId: enrollment.id };
  if (enrollment.status === 'burned') return auditedRefusal(ctx, 'refresh-otp', 'enrollment-burned', details);
  if (enrollment.status === 'card-revoked') return auditedRefusal(ctx, 'refresh-otp', 'card-revoked', details);
  if (enrollment.status !== 'awaiting-phone')
    return auditedRefusal(ctx, 'refresh-otp', 'enrollment-completed', details);
  const { otp, otpHash, expiresAt } = freshOtp(ctx, enrollment.id);
  const replaced = await ctx.storage.replaceEnrollmentOtp(
    enrollment.id,
    otpHash,
    expiresAt,
    auditEntry(ctx, 'refresh-otp', 'success', null, details),
  );
  if (!replaced) return auditedRefusal(ctx, 'refresh-otp', 'enrollment-completed', details);
  ctx.events.notify(enrollment.id);
  return ok(enrollmentCode(ctx, enrollment.id, otp));
}

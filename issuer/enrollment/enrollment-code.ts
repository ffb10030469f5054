// What the kiosk shows for an enrollment: the QR payload and a fresh one-time password, returned once in clear
// and stored only as a keyed hash.
import type { EnrollmentCode } from '../../contracts/issuer-api.ts';
import { formatQrPayload } from '../../contracts/qr-payload.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { newOtp } from '../secrets.ts';

export interface FreshOtp {
  otp: string;
  otpHash: string;
  expiresAt: number;
}

export function freshOtp(ctx: Pick<IssuerContext, 'config' | 'codes' | 'now'>, enrollmentId: string): FreshOtp {
  const otp = newOtp(ctx.config.otp.length);
  return {
    otp,
    otpHash: ctx.codes.hash('otp', enrollmentId, otp),
    expiresAt: ctx.now().getTime() + ctx.config.otp.lifetimeSeconds * 1000,
  };
}

export function enrollmentCode(
  ctx: Pick<IssuerContext, 'config' | 'baseUrl'>,
  enrollmentId: string,
  otp: string,
): EnrollmentCode {
  return {
    enrollmentId,
    qrPayload: formatQrPayload(ctx.baseUrl, enrollmentId),
    otp,
    expiresIn: ctx.config.otp.lifetimeSeconds,
  };
}

/** The OTP as the person typed it (spaces and dashes ignored) against the enrollment's stored hash. */
export function otpMatches(
  ctx: Pick<IssuerContext, 'codes'>,
  enrollment: { readonly id: string; readonly otpHash: string },
  typed: string,
): boolean {
  return ctx.codes.matches(enrollment.otpHash, 'otp', enrollment.id, typed.replace(/[\s-]/g, ''));
}

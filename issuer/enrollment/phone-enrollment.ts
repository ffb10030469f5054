// The phone, after scanning the QR code, fetches the enrollment it holds: what it needs to ask for the password
// (its length, how long it still works). The first fetch tells the kiosk "your phone has scanned the code" (the
// kiosk's long poll and event stream wake on it: phoneSeen).
import { deviceWithAccessToken } from '../bearer-holders.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { publicState } from './enrollment-status.ts';

export async function fetchPhoneEnrollment(
  ctx: IssuerContext,
  input: { accessToken: string | null; enrollmentId: string },
): Promise<RouteRuleResult<'enrollmentForPhone'>> {
  const device = await deviceWithAccessToken(ctx, input.accessToken);
  if (device === null) return refuse('invalid-token');
  const enrollment = await ctx.storage.findEnrollment(input.enrollmentId);
  if (enrollment === null) return refuse('enrollment-unknown');
  if (enrollment.deviceAuthorizationId !== device.id) return refuse('wrong-device');
  const now = ctx.now().getTime();
  if (enrollment.phoneFetchedAt === null && (await ctx.storage.recordPhoneFetched(enrollment.id, now)))
    ctx.events.notify(enrollment.id);
  return ok({
    enrollmentId: enrollment.id,
    state: publicState(enrollment, now),
    otpLength: ctx.config.otp.length,
    expiresIn: Math.max(0, Math.ceil((enrollment.otpExpiresAt - now) / 1000)),
  });
}

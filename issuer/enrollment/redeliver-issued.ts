// A redeem of an enrollment this phone already completed: its answer (the certificate) was lost on the way back
// (a network cut, the app killed), and the phone asks again. Without this the person must start again at the kiosk
// (a new PIN, a new code), and the certificate issued first stays active on no device until someone revokes it.
//
// The same certificate is sent again, nothing is signed, bound or notified a second time, when everything the first
// redeem proved is proved again: the same phone (its access token, checked by the caller), the right OTP within its
// lifetime (the bound: the phone retries no longer either), fewer wrong OTPs than the enrollment allows, and a CSR
// whose self-signature verifies for the very key the certificate certifies (so only the key's holder gets it back;
// the certificate is not secret, but no one else has use for it). The credential must still be active. Anything else
// is refused `enrollment-completed`, as before. A wrong OTP here counts like one before completion (the guess limit
// per phone, taken by the caller, and the enrollment's own count), so a completed enrollment is no new oracle.
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import type { RedeemRequest } from '../../contracts/issuer-api.ts';
import { checkCsr } from '../ca/csr.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { DerivedCertificateRecord, EnrollmentRecord } from '../storage/issuer-storage.ts';
import { otpMatches } from './enrollment-code.ts';
import { issuedAnswer } from './issue-for-card.ts';

/** The audit row's code for a certificate sent again (event `redeem`, outcome `success`). */
export const REPEATED_DELIVERY = 'repeated-delivery';

/** `enrollment` is completed and the caller has checked that `deviceAuthorizationId` (the token's device) owns it. */
export async function redeliverIssued(
  ctx: IssuerContext,
  enrollment: EnrollmentRecord,
  request: RedeemRequest,
  details: Record<string, string | null>,
): Promise<RouteRuleResult<'redeemEnrollment'>> {
  const refused = () => auditedRefusal(ctx, 'redeem', 'enrollment-completed', details);
  const now = ctx.now().getTime();
  if (now >= enrollment.otpExpiresAt || enrollment.otpFailures >= ctx.config.otp.maxAttempts) return refused();
  if (!otpMatches(ctx, enrollment, request.otp)) {
    await ctx.storage.recordOtpFailure(enrollment.id, ctx.config.otp.maxAttempts, () =>
      auditEntry(ctx, 'redeem', 'failure', 'otp-wrong', details),
    );
    return refuse('enrollment-completed');
  }
  const csr = checkCsr(request.csr);
  if (!csr.ok) return refused();
  const serial = enrollment.derivedCertificateSerialHex;
  const stored = serial === null ? null : await ctx.storage.findDerivedCertificate(serial);
  if (stored === null || !stillUsable(stored, now) || !certifiesKey(stored, csr.subjectPublicKeySpkiDer)) {
    return refused();
  }
  await ctx.audit('redeem', 'success', REPEATED_DELIVERY, { ...details, derivedSerial: stored.serialNumberHex });
  const answer = issuedAnswer(ctx, {
    certificateDer: stored.certificateDer,
    serialNumberHex: stored.serialNumberHex,
    notBefore: new Date(stored.notBefore),
    notAfter: new Date(stored.notAfter),
  });
  return ok({ ...answer, repeatedDelivery: true });
}

/** Suspended, revoked (superseded by a renewal, the card revoked) or expired: not sent again. */
function stillUsable(stored: DerivedCertificateRecord, now: number): boolean {
  return stored.status === 'active' && now < stored.notAfter;
}

/** The certificate's public key is the CSR's (compared as keys, not as encodings). */
function certifiesKey(stored: DerivedCertificateRecord, csrSpkiDer: Uint8Array): boolean {
  const certified: KeyObject = new X509Certificate(stored.certificateDer).publicKey;
  const requested = createPublicKey({ key: Buffer.from(csrSpkiDer), format: 'der', type: 'spki' });
  return certified.equals(requested);
}

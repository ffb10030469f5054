// Validity periods (RFC 5280 §6.1.3 (a)(2)) for every certificate in the path, with the specific reason.
import type { ParsedCertificate } from './parsed-certificate.ts';

export type ValidityResult = { ok: true } | { ok: false; code: 'expired' | 'not-yet-valid'; message: string };

export function checkValidity(path: readonly ParsedCertificate[], at: Date): ValidityResult {
  for (const [index, certificate] of path.entries()) {
    const role = index === 0 ? 'the PIV Authentication certificate' : `CA certificate "${certificate.subject}"`;
    const { notBefore, notAfter } = certificate.fields;
    if (notBefore.getTime() > at.getTime()) {
      return { ok: false, code: 'not-yet-valid', message: `${role} is not valid before ${notBefore.toISOString()}` };
    }
    if (notAfter.getTime() < at.getTime()) {
      return { ok: false, code: 'expired', message: `${role} expired on ${notAfter.toISOString()}` };
    }
  }
  return { ok: true };
}

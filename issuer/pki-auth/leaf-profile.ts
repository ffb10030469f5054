// What makes a certificate usable as a PIV Authentication certificate at all, before any trust question:
// an end-entity certificate (not a CA) whose key may sign (keyUsage digitalSignature when keyUsage is present),
// and no critical extension this issuer does not understand (RFC 5280 §4.2: such a certificate MUST be rejected).
import type { ParsedCertificate } from './parsed-certificate.ts';

const DIGITAL_SIGNATURE = 1; // KeyUsageFlags.digitalSignature

export function leafProfileProblem(certificate: ParsedCertificate): string | null {
  const { extensions } = certificate.fields;
  if (extensions.basicConstraints?.ca === true) {
    return 'the presented certificate is a CA certificate, not a PIV Authentication certificate';
  }
  if (extensions.keyUsage !== null && (extensions.keyUsage & DIGITAL_SIGNATURE) === 0) {
    return "the certificate's key usage does not allow digital signatures";
  }
  const [unrecognized] = extensions.unrecognizedCritical;
  if (unrecognized !== undefined)
    return `the certificate has a critical extension this issuer does not understand (${unrecognized})`;
  return null;
}

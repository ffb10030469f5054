// What makes a certificate usable as a PIV Authentication certificate at all, before any trust question:
// an end-entity certificate (not a CA) whose key may sign (keyUsage digitalSignature when keyUsage is present).
import 'reflect-metadata';
import { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension } from '@peculiar/x509';
import type { ParsedCertificate } from './parsed-certificate.ts';

export function leafProfileProblem(certificate: ParsedCertificate): string | null {
  if (certificate.x509.getExtension(BasicConstraintsExtension)?.ca === true) {
    return 'the presented certificate is a CA certificate, not a PIV Authentication certificate';
  }
  const keyUsage = certificate.x509.getExtension(KeyUsagesExtension);
  if (keyUsage !== null && (keyUsage.usages & KeyUsageFlags.digitalSignature) === 0) {
    return 'the certificate\'s key usage does not allow digital signatures';
  }
  return null;
}

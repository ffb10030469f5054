// RFC 5280 §6.1 basic path validation of one candidate path, revocation aside (revocation/ answers that for the
// path that validates here). Certificate i of the RFC is path[n - i]: the path is kept leaf first, anchor last,
// as path building produces it. The trust anchor is input (its name and key), not a certificate of the path:
// its own extensions are not processed (RFC 5280 §6.1.1 (d); RFC 5937 anchor constraints are not implemented).
//
// Per certificate: signature with the working public key (OpenSSL; CA part cached, ca-path.ts), validity period,
// name chaining (X509_check_issued in path building), name constraints (name-constraints.ts), the policy tree
// (policy-tree.ts); per CA certificate: version 3 with basicConstraints cA, keyUsage keyCertSign when keyUsage is
// present, pathLenConstraint, no critical extension this issuer does not process.
import type { ParsedCertificate } from './parsed-certificate.ts';
import type { NameConstraints } from './certificate-extensions.ts';
import { checkValidity } from './validity.ts';
import { checkPathSignatures, type CaSignatureCache } from './ca-path.ts';
import { checkNameConstraints } from './name-constraints.ts';
import { processPolicies, type PolicyProcessingSettings } from './policy-tree.ts';

const KEY_CERT_SIGN = 32; // KeyUsageFlags.keyCertSign (bit 5)

export type PathValidationResult =
  | { ok: true; policies: readonly string[] }
  | { ok: false; code: 'untrusted' | 'expired' | 'not-yet-valid' | 'policy-missing'; message: string };

export function validatePath(
  path: readonly ParsedCertificate[],
  settings: PolicyProcessingSettings,
  signatures: CaSignatureCache,
  at: Date,
): PathValidationResult {
  if (path.length < 2) return { ok: false, code: 'untrusted', message: 'certificate path is too short' };
  const dates = checkValidity(path, at);
  if (!dates.ok) return dates;
  const [leafCritical] = path[0]?.fields.extensions.unrecognizedCritical ?? [];
  if (leafCritical !== undefined)
    return {
      ok: false,
      code: 'untrusted',
      message: `the PIV Authentication certificate has a critical extension this issuer does not process (${leafCritical})`,
    };
  const caProblem = caCertificateProblem(path);
  if (caProblem !== null) return { ok: false, code: 'untrusted', message: caProblem };
  const names = nameConstraintProblem(path);
  if (names !== null) return { ok: false, code: 'untrusted', message: names };
  const signed = checkPathSignatures(path, signatures, at);
  if (!signed.ok) return { ok: false, code: 'untrusted', message: signed.message };
  const inRfcOrder = path
    .slice(0, -1)
    .reverse()
    .map((certificate) => ({ selfIssued: isSelfIssued(certificate), extensions: certificate.fields.extensions }));
  const policies = processPolicies(inRfcOrder, settings);
  if (!policies.ok) {
    const certificate = path[path.length - 2 - policies.certificateIndex];
    const who =
      certificate === path[0] ? 'the PIV Authentication certificate' : `CA certificate "${certificate?.subject ?? ''}"`;
    return { ok: false, code: 'policy-missing', message: `certificate policy: ${policies.message} (${who})` };
  }
  return { ok: true, policies: policies.policies };
}

/** §6.1.4 (k)–(o) for every certificate between the end entity and the anchor. */
function caCertificateProblem(path: readonly ParsedCertificate[]): string | null {
  let maxPathLength = path.length - 1; // n
  for (let index = path.length - 2; index >= 1; index -= 1) {
    const ca = path[index];
    if (ca === undefined) continue;
    const who = `CA certificate "${ca.subject}"`;
    const { extensions, version } = ca.fields;
    if (version !== 3 || extensions.basicConstraints?.ca !== true)
      return `${who} is not a CA certificate (no basicConstraints cA)`;
    if (extensions.keyUsage !== null && (extensions.keyUsage & KEY_CERT_SIGN) === 0)
      return `${who} may not sign certificates (keyUsage without keyCertSign)`;
    const [unrecognized] = extensions.unrecognizedCritical;
    if (unrecognized !== undefined)
      return `${who} has a critical extension this issuer does not process (${unrecognized})`;
    if (!isSelfIssued(ca)) {
      if (maxPathLength <= 0) return `a CA above "${ca.subject}" allows no further CA certificates (pathLenConstraint)`;
      maxPathLength -= 1;
    }
    const limit = extensions.basicConstraints.pathLength;
    if (limit !== undefined && limit < maxPathLength) maxPathLength = limit;
  }
  return null;
}

/** §6.1.3 (b), (c) with the subtrees gathered per §6.1.4 (g), from the anchor down. */
function nameConstraintProblem(path: readonly ParsedCertificate[]): string | null {
  const layers: NameConstraints[] = [];
  for (let index = path.length - 2; index >= 0; index -= 1) {
    const certificate = path[index];
    if (certificate === undefined) continue;
    if (layers.length > 0 && (index === 0 || !isSelfIssued(certificate))) {
      const checked = checkNameConstraints(
        {
          subjectName: certificate.fields.subjectName,
          subjectAltNames: certificate.fields.extensions.subjectAltName?.all ?? [],
        },
        layers,
      );
      if (!checked.ok)
        return `${index === 0 ? 'the PIV Authentication certificate' : `CA certificate "${certificate.subject}"`}: ${checked.message}`;
    }
    const constraints = certificate.fields.extensions.nameConstraints;
    if (index > 0 && constraints !== null) layers.push(constraints);
  }
  return null;
}

/** RFC 5280 §6.1: issuer and subject names identical (compared as DER; configured CAs encode both alike). */
function isSelfIssued(certificate: ParsedCertificate): boolean {
  return Buffer.from(certificate.fields.subjectName).equals(certificate.fields.issuerName);
}

// Certificate policy (FIPS 201-3, FPKI Common Policy: id-fpki-common-authentication 2.16.840.1.101.3.2.1.3.13).
// What is enforced, and why it is stricter than bare RFC 5280 policy processing:
// - the PIV Authentication certificate itself must assert one of the required policy OIDs literally
//   (anyPolicy in a leaf proves nothing about how the card was issued);
// - every CA certificate between it and the trust anchor that carries a certificatePolicies extension must
//   assert the required OID or anyPolicy. A CA certificate without the extension is tolerated (RFC 5280 would
//   then leave no valid policy): FPKI CAs always carry one, the repository's test PKI does not yet;
// - a path that uses policy mapping is refused: required OIDs are then ambiguous between domains. Bridged trust
//   is configured by making the CA under the bridge a trust anchor instead.
// The trust anchor's own extensions are not evaluated (RFC 5280 §6.1: an anchor is input, not part of the path).
import type { ParsedCertificate } from './parsed-certificate.ts';
import { OID } from './certificate-extensions.ts';

export const DEFAULT_PIV_AUTH_POLICY = '2.16.840.1.101.3.2.1.3.13';
const ANY_POLICY = '2.5.29.32.0';

export type PolicyResult = { ok: true; matched: string } | { ok: false; message: string };

export function checkPolicies(path: readonly ParsedCertificate[], requiredOids: readonly string[]): PolicyResult {
  const required = requiredOids.length > 0 ? requiredOids : [DEFAULT_PIV_AUTH_POLICY];
  const leaf = path[0];
  if (leaf === undefined) return { ok: false, message: 'empty certificate path' };
  const matched = (leaf.fields.extensions.certificatePolicies ?? []).find((oid) => required.includes(oid));
  if (matched === undefined) {
    return { ok: false, message: `the PIV Authentication certificate asserts none of the required policies (${required.join(', ')})` };
  }
  for (const ca of path.slice(1, -1)) {
    if (ca.fields.extensions.present.has(OID.policyMappings)) {
      return { ok: false, message: `CA certificate "${ca.subject}" maps policies, which this issuer does not accept` };
    }
    const policies = ca.fields.extensions.certificatePolicies;
    if (policies === null) continue;
    if (!policies.includes(matched) && !policies.includes(ANY_POLICY)) {
      return { ok: false, message: `CA certificate "${ca.subject}" does not assert policy ${matched} or anyPolicy` };
    }
  }
  return { ok: true, matched };
}

// Certificate policy (FIPS 201-3, FPKI Common Policy: id-fpki-common-authentication 2.16.840.1.101.3.2.1.3.13):
// the RFC 5280 §6.1 inputs PKI-AUTH runs policy processing (policy-tree.ts) with.
//
// - user-initial-policy-set: the tenant's required policy OIDs, in the trust anchor's policy domain (a card from a
//   bridged PKI asserts its own domain's OID; the mappings on the cross-certificates carry it into this one);
// - initial-explicit-policy: set. A PIV Authentication certificate is only accepted for a policy it was issued
//   under, so a path valid for no acceptable policy is refused;
// - initial-policy-mapping-inhibit and initial-any-policy-inhibit: clear (mappings and anyPolicy in CA
//   certificates are processed as the CAs' own policyConstraints and inhibitAnyPolicy say);
// - deviation: anyPolicy asserted by the end-entity certificate itself does not count (see policy-tree.ts). So
//   configuring anyPolicy (2.5.29.32.0) as the required policy accepts no card at all, rather than every card.
import type { PolicyProcessingSettings } from './policy-tree.ts';

export const DEFAULT_PIV_AUTH_POLICY = '2.16.840.1.101.3.2.1.3.13';

export function policySettings(requiredOids: readonly string[]): PolicyProcessingSettings {
  return {
    userInitialPolicySet: requiredOids.length > 0 ? [...requiredOids] : [DEFAULT_PIV_AUTH_POLICY],
    initialExplicitPolicy: true,
    initialPolicyMappingInhibit: false,
    initialAnyPolicyInhibit: false,
    endEntityAnyPolicyIgnored: true,
  };
}

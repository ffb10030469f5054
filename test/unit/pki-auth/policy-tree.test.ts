// RFC 5280 §6.1 policy processing (issuer/pki-auth/policy-tree.ts) on paths described by their policy extensions
// alone: certificate 1 (issued by the anchor) first, the end entity last. PKITS 4.8–4.12 run the same code on real
// certificates (test/conformance); these cases pin the rules one at a time, each with the certificate that breaks it.
import { describe, expect, it } from 'vitest';
import {
  ANY_POLICY,
  processPolicies,
  type PolicyCertificate,
  type PolicyProcessingSettings,
} from '../../../issuer/pki-auth/policy-tree.ts';
import { DEFAULT_PIV_AUTH_POLICY, policySettings } from '../../../issuer/pki-auth/policy.ts';
import type { PolicyConstraints, PolicyMapping } from '../../../issuer/pki-auth/certificate-extensions.ts';

const P1 = '2.16.840.1.101.3.2.1.48.1';
const P2 = '2.16.840.1.101.3.2.1.48.2';
const P3 = '2.16.840.1.101.3.2.1.48.3';

interface Spec {
  policies?: string[] | null;
  mappings?: [string, string][];
  constraints?: Partial<PolicyConstraints>;
  inhibitAny?: number;
  selfIssued?: boolean;
}

function cert(spec: Spec = {}): PolicyCertificate {
  const mappings: PolicyMapping[] | null =
    spec.mappings?.map(([issuerDomainPolicy, subjectDomainPolicy]) => ({ issuerDomainPolicy, subjectDomainPolicy })) ??
    null;
  return {
    selfIssued: spec.selfIssued ?? false,
    extensions: {
      certificatePolicies: spec.policies === undefined ? [P1] : spec.policies,
      policyMappings: mappings,
      policyConstraints:
        spec.constraints === undefined
          ? null
          : { requireExplicitPolicy: undefined, inhibitPolicyMapping: undefined, ...spec.constraints },
      inhibitAnyPolicy: spec.inhibitAny ?? null,
    },
  };
}

const piv = (required: string[] = [P1]) => policySettings(required);
/** RFC 5280 §6.1.1's default inputs (what PKITS's "default settings" mean). */
const rfcDefaults: PolicyProcessingSettings = {
  userInitialPolicySet: null,
  initialExplicitPolicy: false,
  initialPolicyMappingInhibit: false,
  initialAnyPolicyInhibit: false,
  endEntityAnyPolicyIgnored: false,
};

describe('PIV settings: the path must be valid for a required policy', () => {
  it('accepts a path where every certificate asserts the required policy, and names it', () => {
    expect(processPolicies([cert(), cert()], piv())).toEqual({ ok: true, policies: [P1] });
  });

  it('refuses a card that asserts only another policy, and names the card as where it failed', () => {
    expect(processPolicies([cert(), cert({ policies: [P2] })], piv())).toMatchObject({
      ok: false,
      certificateIndex: 1,
    });
  });

  it('refuses a path through a CA certificate without certificatePolicies (§6.1.3 (e): the tree becomes empty)', () => {
    expect(processPolicies([cert({ policies: null }), cert()], piv())).toMatchObject({
      ok: false,
      certificateIndex: 0,
    });
  });

  it('accepts a CA asserting anyPolicy above a card asserting the required policy', () => {
    expect(processPolicies([cert({ policies: [ANY_POLICY] }), cert()], piv())).toEqual({ ok: true, policies: [P1] });
  });

  it('deviation: anyPolicy in the card itself does not count, even where RFC 5280 would accept it', () => {
    const path = [cert({ policies: [ANY_POLICY] }), cert({ policies: [ANY_POLICY] })];
    expect(processPolicies(path, piv()).ok).toBe(false);
    expect(processPolicies(path, { ...piv(), endEntityAnyPolicyIgnored: false })).toEqual({ ok: true, policies: [P1] });
  });

  it('configuring anyPolicy as the required policy accepts no card, rather than every card', () => {
    const path = [cert({ policies: [ANY_POLICY] }), cert({ policies: [ANY_POLICY, P1] })];
    expect(processPolicies(path, policySettings([ANY_POLICY])).ok).toBe(false);
  });

  it('falls back to the PIV Authentication policy when none is configured', () => {
    const path = [cert({ policies: [DEFAULT_PIV_AUTH_POLICY] }), cert({ policies: [DEFAULT_PIV_AUTH_POLICY] })];
    expect(processPolicies(path, policySettings([]))).toEqual({ ok: true, policies: [DEFAULT_PIV_AUTH_POLICY] });
  });
});

describe('policy mappings (§6.1.4 (a), (b))', () => {
  it("a bridge mapping the required policy onto the card's own domain policy accepts the card (defect 4)", () => {
    // Anchor domain P1; the cross-certificate maps P1 → P2; the card's PKI asserts P2.
    const path = [cert({ policies: [P1], mappings: [[P1, P2]] }), cert({ policies: [P2] }), cert({ policies: [P2] })];
    expect(processPolicies(path, piv([P1]))).toEqual({ ok: true, policies: [P1] });
  });

  it('a mapping that does not touch the required policy changes nothing', () => {
    const path = [cert({ policies: [P1, P3], mappings: [[P3, P2]] }), cert({ policies: [P1] })];
    expect(processPolicies(path, piv([P1]))).toEqual({ ok: true, policies: [P1] });
  });

  it('the card asserting the issuer-domain policy after a mapping moved it elsewhere is refused', () => {
    const path = [cert({ policies: [P1], mappings: [[P1, P2]] }), cert({ policies: [P1] })];
    expect(processPolicies(path, piv([P1])).ok).toBe(false);
  });

  it('a mapping from or to anyPolicy refuses the path', () => {
    expect(processPolicies([cert({ mappings: [[ANY_POLICY, P2]] }), cert()], piv())).toMatchObject({
      ok: false,
      message: expect.stringContaining('anyPolicy') as unknown,
    });
    expect(processPolicies([cert({ mappings: [[P1, ANY_POLICY]] }), cert()], piv())).toMatchObject({ ok: false });
  });

  it('inhibitPolicyMapping 0 deletes the mapped policy instead of mapping it', () => {
    const path = [
      cert({ policies: [P1], constraints: { inhibitPolicyMapping: 0 } }),
      cert({ policies: [P1], mappings: [[P1, P2]] }),
      cert({ policies: [P2] }),
    ];
    expect(processPolicies(path, piv([P1])).ok).toBe(false);
    const allowed = [
      cert({ policies: [P1], constraints: { inhibitPolicyMapping: 1 } }),
      cert({ policies: [P1], mappings: [[P1, P2]] }),
      cert({ policies: [P2] }),
    ];
    expect(processPolicies(allowed, piv([P1])).ok).toBe(true);
  });

  it('a mapping under anyPolicy creates the issuer-domain node (§6.1.4 (b)(1), second sentence)', () => {
    const path = [
      cert({ policies: [ANY_POLICY] }),
      cert({ policies: [ANY_POLICY], mappings: [[P1, P2]] }),
      cert({ policies: [P2] }),
    ];
    expect(processPolicies(path, piv([P1]))).toEqual({ ok: true, policies: [P1] });
  });
});

describe('requireExplicitPolicy and inhibitAnyPolicy (RFC 5280 default inputs)', () => {
  it('without a requirement, a path with no common policy is still valid (PKITS 4.8.3)', () => {
    expect(processPolicies([cert({ policies: [P1] }), cert({ policies: [P2] })], rfcDefaults)).toEqual({
      ok: true,
      policies: [],
    });
  });

  it('requireExplicitPolicy 0 in a CA makes the same path invalid', () => {
    expect(
      processPolicies(
        [cert({ policies: [P1], constraints: { requireExplicitPolicy: 0 } }), cert({ policies: [P2] })],
        rfcDefaults,
      ).ok,
    ).toBe(false);
  });

  it('requireExplicitPolicy counts only certificates that are not self-issued', () => {
    const path = (selfIssued: boolean) => [
      cert({ policies: [P1], constraints: { requireExplicitPolicy: 2 } }),
      cert({ policies: [P1], selfIssued }),
      cert({ policies: null }),
    ];
    expect(processPolicies(path(false), rfcDefaults).ok).toBe(false);
    expect(processPolicies(path(true), rfcDefaults).ok).toBe(true);
  });

  it('inhibitAnyPolicy 0 stops anyPolicy from standing for the required policy below it (PKITS 4.12.1 shape)', () => {
    const path = [
      cert({ policies: [P1], inhibitAny: 0, constraints: { requireExplicitPolicy: 0 } }),
      cert({ policies: [ANY_POLICY] }),
      cert({ policies: [P1] }),
    ];
    expect(processPolicies(path, rfcDefaults).ok).toBe(false);
  });

  it("inhibitAnyPolicy 1 still lets the next CA's anyPolicy through (PKITS 4.12.3, defect 7)", () => {
    const path = [
      cert({ policies: [P1], inhibitAny: 1, constraints: { requireExplicitPolicy: 0 } }),
      cert({ policies: [ANY_POLICY] }),
      cert({ policies: [P1] }),
    ];
    expect(processPolicies(path, rfcDefaults)).toMatchObject({ ok: true, policies: [P1] });
    expect(processPolicies(path, piv([P1]))).toEqual({ ok: true, policies: [P1] });
  });

  it('requireExplicitPolicy 0 in the end entity itself applies (§6.1.5 (b))', () => {
    expect(
      processPolicies(
        [cert({ policies: [P1] }), cert({ policies: null, constraints: { requireExplicitPolicy: 0 } })],
        rfcDefaults,
      ).ok,
    ).toBe(false);
  });
});

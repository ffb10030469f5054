// What PKI-AUTH is expected to answer for each PKITS case where that is not simply PKITS's verdict.
// - NOT_APPLICABLE: the case tests something a PIV issuer never sees; it is run and printed, not asserted.
// - DEVIATIONS: a PIV issuer answers differently from PKITS's default settings on purpose; asserted as given here
//   (each is listed with its reason in issuer/pki-auth/README.md).
// - KNOWN_FAILURES: the verdict is wrong today, with the issue #9 defect that causes it. Each is asserted to STILL
//   be wrong, so the fix that corrects it fails the suite until its entry is removed here.
import type { Expected } from './verdict-table.ts';

const DSA = 'DSA key: a PIV Authentication key is RSA-2048, P-256 or P-384 (SP 800-78-4)';
const CA_AS_END_ENTITY = 'the end entity is a CA certificate (cA TRUE): never a PIV Authentication certificate';

export const PKITS_NOT_APPLICABLE: Readonly<Record<string, string>> = {
  '4.1.4': DSA,
  '4.1.5': DSA,
  '4.1.6': DSA,
  '4.6.6': CA_AS_END_ENTITY,
  '4.6.8': CA_AS_END_ENTITY,
  '4.6.10': CA_AS_END_ENTITY,
  '4.6.12': CA_AS_END_ENTITY,
  '4.6.14': CA_AS_END_ENTITY,
  '4.8.6': CA_AS_END_ENTITY,
  '4.8.7': CA_AS_END_ENTITY,
  '4.8.8': CA_AS_END_ENTITY,
  '4.12.10': CA_AS_END_ENTITY,
  '4.14.11': CA_AS_END_ENTITY,
  '4.14.13': CA_AS_END_ENTITY,
};

const POLICY_REQUIRED =
  'a PIV issuer requires the card certificate to assert a required policy (initial-explicit-policy set): this path asserts none in the end entity';
const NO_COMMON_POLICY =
  'a PIV issuer requires a policy valid for the whole path (initial-explicit-policy set): PKITS accepts this path only because explicit policy is not required';
const ANY_POLICY_LEAF =
  'anyPolicy in the card certificate says nothing about how the card was issued: a PIV issuer requires a named policy';

const INDIRECT_CRL =
  "indirect CRLs are refused (their certificateIssuer entries are not processed, RFC 5280 §5.3.3): configure the issuing CA's own CRL or OCSP";

export const PKITS_DEVIATIONS: Readonly<Record<string, { expected: Expected; reason: string }>> = {
  '4.8.2': { expected: 'invalid', reason: POLICY_REQUIRED },
  '4.8.3': { expected: 'invalid', reason: NO_COMMON_POLICY },
  '4.8.11': { expected: 'invalid', reason: ANY_POLICY_LEAF },
  '4.9.1': { expected: 'invalid', reason: POLICY_REQUIRED },
  '4.9.2': { expected: 'invalid', reason: POLICY_REQUIRED },
  '4.9.6': { expected: 'invalid', reason: POLICY_REQUIRED },
  '4.14.22': { expected: 'invalid', reason: INDIRECT_CRL },
  '4.14.24': { expected: 'invalid', reason: INDIRECT_CRL },
  '4.14.25': { expected: 'invalid', reason: INDIRECT_CRL },
  '4.14.28': { expected: 'invalid', reason: INDIRECT_CRL },
  '4.14.29': { expected: 'invalid', reason: INDIRECT_CRL },
  '4.14.30': { expected: 'invalid', reason: INDIRECT_CRL },
  '4.14.33': { expected: 'invalid', reason: INDIRECT_CRL },
};

export const PKITS_KNOWN_FAILURES: Readonly<Record<string, string>> = {};

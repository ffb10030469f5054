// PKI-AUTH verification (FIPS 201-3 §6.2.3.1, SP 800-116): the card's PIV Authentication certificate and its
// signature over the issuer's challenge. This file is the one entry the issuer service calls.
//
// Order of checks — cheapest and most local first, so hostile input costs little and revocation sources are
// only contacted for a path that validated without them:
//   parse → end-entity profile and key algorithm → challenge signature → every candidate path to a configured
//   anchor (path.ts) → RFC 5280 §6.1 on each (path-validation.ts: dates, signatures with the CA part cached, CA
//   flags, path lengths, name constraints, policy tree) → a revocation answer for every non-anchor certificate of a
//   validated path (demanded, see revocation/revocation-check.ts) → identity from the SAN (last: a trusted
//   certificate without a PIV identity is told apart).
import { engineCertificate, parseCertificate, type ParsedCertificate } from './parsed-certificate.ts';
import { cardPublicKey, verifyChallengeSignature, type PkiAuthNonces } from './signature.ts';
import { buildCandidatePaths, type TrustStore } from './path.ts';
import { validatePath } from './path-validation.ts';
import { policySettings } from './policy.ts';
import type { PolicyProcessingSettings } from './policy-tree.ts';
import { cardholderIdentity } from './identity.ts';
import { leafProfileProblem } from './leaf-profile.ts';
import { ParsedCertificateCache } from './validation-cache.ts';
import { checkRevocation, type RevocationCaches, type RevocationSources } from './revocation/revocation-check.ts';
import { createCrlCache } from './revocation/crl.ts';
import { createOcspCache } from './revocation/ocsp.ts';
import { CaSignatureCache } from './ca-path.ts';

export interface PivTrustPolicy {
  trustAnchorsDer: Uint8Array[];
  intermediatesDer: Uint8Array[];
  requiredPolicyOids: string[];
  crlUrls: string[];
  crlFiles: string[];
  ocspUrl: string | null;
  /** Oldest CRL (from a URL) or cached OCSP answer relied on; default: CRLs re-read every 5 minutes, OCSP until nextUpdate. */
  revocationMaxAgeMs?: number;
  /** Largest CRL read; default revocation/crl.ts DEFAULT_MAX_CRL_BYTES. */
  maxCrlBytes?: number;
  now?: () => Date;
}

export interface CardIdentity {
  uuid: string | null;
  fascnHex: string | null;
  commonName: string;
  issuerDn: string;
  serialNumberHex: string;
  notAfter: Date;
  certificateDer: Uint8Array;
  keyAlgorithm: 'RSA-2048' | 'P-256' | 'P-384';
}

export type CardAuthenticationFailureCode =
  | 'bad-signature'
  | 'bad-certificate'
  | 'untrusted'
  | 'expired'
  | 'not-yet-valid'
  | 'revoked'
  | 'revocation-unavailable'
  | 'policy-missing'
  | 'identity-missing';

export type CardAuthenticationResult =
  { ok: true; identity: CardIdentity } | { ok: false; code: CardAuthenticationFailureCode; message: string };

/**
 * Parsed trust material and revocation caches live as long as the policy object: the issuer service builds
 * its policy once at start, so anchors are parsed once and CRLs/OCSP answers are reused across requests.
 */
interface PolicyState {
  readonly store: TrustStore | string;
  readonly caches: RevocationCaches;
  readonly parsed: ParsedCertificateCache;
  readonly signatures: CaSignatureCache;
}
const states = new WeakMap<PivTrustPolicy, PolicyState>();

function stateFor(policy: PivTrustPolicy): PolicyState {
  let state = states.get(policy);
  if (state === undefined) {
    state = {
      store: parseTrustStore(policy),
      caches: { crl: createCrlCache(), ocsp: createOcspCache() },
      parsed: new ParsedCertificateCache(),
      signatures: new CaSignatureCache(),
    };
    states.set(policy, state);
  }
  return state;
}

function parseTrustStore(policy: PivTrustPolicy): TrustStore | string {
  const parseAll = (ders: Uint8Array[], role: string): ParsedCertificate[] | string => {
    const parsed: ParsedCertificate[] = [];
    for (const [index, der] of ders.entries()) {
      const result = parseCertificate(der);
      if (!result.ok) return `configured ${role} #${index + 1}: ${result.message}`;
      // pkijs reads CA certificates to check CRL and OCSP signatures (revocation/): one it cannot read is a configuration error now.
      const forEngine = engineCertificate(result.certificate);
      if (!forEngine.ok) return `configured ${role} #${index + 1}: ${forEngine.message}`;
      parsed.push(result.certificate);
    }
    return parsed;
  };
  const anchors = parseAll(policy.trustAnchorsDer, 'trust anchor');
  if (typeof anchors === 'string') return anchors;
  if (anchors.length === 0) return 'no trust anchor is configured';
  const intermediates = parseAll(policy.intermediatesDer, 'intermediate CA');
  if (typeof intermediates === 'string') return intermediates;
  return { anchors, intermediates };
}

function fail(code: CardAuthenticationFailureCode, message: string): CardAuthenticationResult {
  return { ok: false, code, message };
}

/** One PKI-AUTH answer: both nonces (see contracts/pki-auth-message.ts), the card's signature and certificate. */
export interface CardAuthenticationInput extends PkiAuthNonces {
  readonly signature: Uint8Array;
  readonly certificateDer: Uint8Array;
}

export async function verifyCardAuthentication(
  input: CardAuthenticationInput,
  policy: PivTrustPolicy,
): Promise<CardAuthenticationResult> {
  return checkCard(input.certificateDer, policy, (key) =>
    verifyChallengeSignature(input, input.signature, key.algorithm, key.key)
      ? null
      : fail(
          'bad-signature',
          `the signature does not verify with the certificate's ${key.algorithm} key over this PKI-AUTH message`,
        ),
  );
}

/**
 * Every check of `verifyCardAuthentication` but the proof of possession: is this (stored) card certificate still
 * trusted, valid, unrevoked and within policy *now*? The issuer asks it again after sign-in (approve, redeem), so
 * a card revoked after PKI-AUTH stops minting derived credentials.
 */
export async function verifyCardCertificate(
  certificateDer: Uint8Array,
  policy: PivTrustPolicy,
): Promise<CardAuthenticationResult> {
  return checkCard(certificateDer, policy, () => null);
}

type CardKey = Extract<ReturnType<typeof cardPublicKey>, { ok: true }>;

async function checkCard(
  certificateDer: Uint8Array,
  policy: PivTrustPolicy,
  proofOfPossession: (key: CardKey) => CardAuthenticationResult | null,
): Promise<CardAuthenticationResult> {
  const at = policy.now?.() ?? new Date();
  const state = stateFor(policy);
  if (typeof state.store === 'string') return fail('untrusted', state.store);

  let leaf = state.parsed.get(certificateDer);
  if (leaf === undefined) {
    const parsed = parseCertificate(certificateDer);
    if (!parsed.ok) return fail('bad-certificate', parsed.message);
    leaf = parsed.certificate;
    state.parsed.set(leaf);
  }
  const profile = leafProfileProblem(leaf);
  if (profile !== null) return fail('bad-certificate', profile);
  const key = cardPublicKey(leaf);
  if (!key.ok) return fail('bad-certificate', key.message);
  const possession = proofOfPossession(key);
  if (possession !== null) return possession;

  const candidates = buildCandidatePaths(leaf, state.store);
  if (!candidates.ok) return fail('untrusted', candidates.message);
  const validation = validateCandidates(candidates.paths, policySettings(policy.requiredPolicyOids), state, at);
  if (!validation.ok) return validation;

  // pkijs reads the card certificate for OCSP requests: make sure it can.
  if (policy.ocspUrl !== null && !engineCertificate(leaf).ok) {
    return fail('bad-certificate', 'the certificate cannot be parsed by the path engine');
  }
  const sources = {
    urls: policy.crlUrls,
    files: policy.crlFiles,
    ocspUrl: policy.ocspUrl,
    maxAgeMs: policy.revocationMaxAgeMs,
    maxBytes: policy.maxCrlBytes,
  };
  const revocation = await firstUnrevokedPath(validation.paths, sources, state.caches, state.store, at);
  if (!revocation.ok) return revocation;
  const path = revocation.path;
  // Last, after every trust check: "identity-missing" then means a trusted, unrevoked certificate without a PIV
  // identity (the conformance suites rely on that to read PKITS verdicts, whose certificates carry none).
  const identity = cardholderIdentity(leaf);
  if (!identity.ok) return fail('identity-missing', identity.message);

  return {
    ok: true,
    identity: {
      uuid: identity.uuid,
      fascnHex: identity.fascnHex,
      commonName: leaf.commonName,
      issuerDn: issuerDnOf(path),
      serialNumberHex: leaf.serialNumber,
      notAfter: leaf.fields.notAfter,
      certificateDer: leaf.der,
      keyAlgorithm: key.algorithm,
    },
  };
}

/**
 * RFC 5280 §6.1 on every candidate path (path-validation.ts). The paths that validate are returned in the order
 * they were built; when none does, the refusal names each path and why it failed, and its code is chosen by a
 * fixed ranking, not by which path was tried first, so the verdict does not depend on the order of configured files.
 */
function validateCandidates(
  paths: readonly ParsedCertificate[][],
  settings: PolicyProcessingSettings,
  state: PolicyState,
  at: Date,
): { ok: true; paths: ParsedCertificate[][] } | Extract<CardAuthenticationResult, { ok: false }> {
  const valid: ParsedCertificate[][] = [];
  const failures: PathFailure[] = [];
  for (const path of paths) {
    const result = validatePath(path, settings, state.signatures, at);
    if (result.ok) valid.push(path);
    else failures.push({ path, code: result.code, message: result.message });
  }
  return valid.length > 0 ? { ok: true, paths: valid } : refusalFor(failures);
}

/** Revocation (revocation/) for each validated path in turn: the first with an unrevoked answer for every certificate wins. */
async function firstUnrevokedPath(
  paths: readonly ParsedCertificate[][],
  sources: RevocationSources,
  caches: RevocationCaches,
  store: TrustStore,
  at: Date,
): Promise<{ ok: true; path: ParsedCertificate[] } | Extract<CardAuthenticationResult, { ok: false }>> {
  const failures: PathFailure[] = [];
  for (const path of paths) {
    const revocation = await checkRevocation(path, sources, caches, at, store);
    if (revocation.ok) return { ok: true, path };
    failures.push({ path, code: revocation.code, message: revocation.message });
  }
  return refusalFor(failures);
}

interface PathFailure {
  readonly path: readonly ParsedCertificate[];
  readonly code: CardAuthenticationFailureCode;
  readonly message: string;
}

/** Most telling first: a path that only fails on time or revocation says more than one that is no path at all. */
const FAILURE_RANK: readonly CardAuthenticationFailureCode[] = [
  'revoked',
  'expired',
  'not-yet-valid',
  'policy-missing',
  'revocation-unavailable',
  'untrusted',
];
const MAX_FAILURES_TOLD = 4;

function refusalFor(failures: readonly PathFailure[]): Extract<CardAuthenticationResult, { ok: false }> {
  const ranked = [...failures].sort(
    (a, b) =>
      FAILURE_RANK.indexOf(a.code) - FAILURE_RANK.indexOf(b.code) || pathText(a.path).localeCompare(pathText(b.path)),
  );
  const [first] = ranked;
  if (first === undefined) return { ok: false, code: 'untrusted', message: 'no certificate path was found' };
  if (ranked.length === 1) return { ok: false, code: first.code, message: first.message };
  const told = ranked.slice(0, MAX_FAILURES_TOLD).map((failure) => `via ${pathText(failure.path)}: ${failure.message}`);
  return {
    ok: false,
    code: first.code,
    message: `none of ${ranked.length} certificate paths is acceptable; ${told.join('; ')}`.slice(0, 1500),
  };
}

/** The CA certificates of a path, by subject, issuing CA first. */
function pathText(path: readonly ParsedCertificate[]): string {
  return path
    .slice(1)
    .map((certificate) => `"${certificate.subject}"`)
    .join(' → ');
}

/**
 * The card's issuer DN as text. When its bytes are those of the issuing CA's subject (the usual case), the CA's
 * text — made once for the configured CA — is the same string, so a new card needs no name formatting.
 */
function issuerDnOf(path: readonly ParsedCertificate[]): string {
  const [leaf, issuingCa] = path;
  if (leaf === undefined) return '';
  if (issuingCa !== undefined && Buffer.from(leaf.fields.issuerName).equals(issuingCa.fields.subjectName))
    return issuingCa.subject;
  return leaf.issuer;
}

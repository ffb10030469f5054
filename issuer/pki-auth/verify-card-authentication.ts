// PKI-AUTH verification (FIPS 201-3 §6.2.3.1, SP 800-116): the card's PIV Authentication certificate and its
// signature over the issuer's challenge. This file is the one entry the issuer service calls.
//
// Order of checks — cheapest and most local first, so hostile input costs little and revocation sources are
// only contacted for a certificate that chains by name to a configured anchor:
//   parse → end-entity profile and key algorithm → challenge signature → name-chained path → validity dates →
//   policy → revocation answer for every non-anchor certificate (demanded, see revocation/revocation-check.ts) →
//   path validation fed with exactly that evidence: pkijs validates the CA part (cached per exact CA certificates +
//   evidence) and OpenSSL checks the card's own signature (ca-path.ts); paths with name or policy constraints go
//   through pkijs whole → identity from the SAN (last: a trusted certificate without a PIV identity is told apart).
import { engineCertificate, parseCertificate, type ParsedCertificate } from './parsed-certificate.ts';
import { cardPublicKey, verifyChallengeSignature, type PkiAuthNonces } from './signature.ts';
import { buildCandidatePath, validateWithEngine, type TrustStore } from './path.ts';
import { checkValidity } from './validity.ts';
import { checkPolicies } from './policy.ts';
import { cardholderIdentity } from './identity.ts';
import { leafProfileProblem } from './leaf-profile.ts';
import { EngineVerdictCache, ParsedCertificateCache } from './validation-cache.ts';
import { checkRevocation, type RevocationCaches, type RevocationEvidence } from './revocation/revocation-check.ts';
import type * as pkijs from 'pkijs';
import { createCrlCache } from './revocation/crl.ts';
import { createOcspCache } from './revocation/ocsp.ts';
import { CaPathCache, checkLeafStep, needsWholePathEngine, validateCaPart } from './ca-path.ts';

export interface PivTrustPolicy {
  trustAnchorsDer: Uint8Array[];
  intermediatesDer: Uint8Array[];
  requiredPolicyOids: string[];
  crlUrls: string[];
  crlFiles: string[];
  ocspUrl: string | null;
  /** Oldest CRL (from a URL) or cached OCSP answer relied on; default: CRLs re-read every 5 minutes, OCSP until nextUpdate. */
  revocationMaxAgeMs?: number;
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
  | 'bad-signature' | 'bad-certificate' | 'untrusted' | 'expired' | 'not-yet-valid' | 'revoked'
  | 'revocation-unavailable' | 'policy-missing' | 'identity-missing';

export type CardAuthenticationResult =
  | { ok: true; identity: CardIdentity }
  | { ok: false; code: CardAuthenticationFailureCode; message: string };

/**
 * Parsed trust material and revocation caches live as long as the policy object: the issuer service builds
 * its policy once at start, so anchors are parsed once and CRLs/OCSP answers are reused across requests.
 */
interface PolicyState {
  readonly store: TrustStore | string;
  readonly caches: RevocationCaches;
  readonly parsed: ParsedCertificateCache;
  readonly verdicts: EngineVerdictCache;
  readonly caPaths: CaPathCache;
}
const states = new WeakMap<PivTrustPolicy, PolicyState>();

function stateFor(policy: PivTrustPolicy): PolicyState {
  let state = states.get(policy);
  if (state === undefined) {
    state = {
      store: parseTrustStore(policy),
      caches: { crl: createCrlCache(), ocsp: createOcspCache() },
      parsed: new ParsedCertificateCache(),
      verdicts: new EngineVerdictCache(),
      caPaths: new CaPathCache(),
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
      // pkijs validates the CA part of every path: a CA certificate it cannot read is a configuration error now.
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

export async function verifyCardAuthentication(input: CardAuthenticationInput, policy: PivTrustPolicy): Promise<CardAuthenticationResult> {
  return checkCard(input.certificateDer, policy, (key) =>
    verifyChallengeSignature(input, input.signature, key.algorithm, key.key)
      ? null
      : fail('bad-signature', `the signature does not verify with the certificate's ${key.algorithm} key over this PKI-AUTH message`));
}

/**
 * Every check of `verifyCardAuthentication` but the proof of possession: is this (stored) card certificate still
 * trusted, valid, unrevoked and within policy *now*? The issuer asks it again after sign-in (approve, redeem), so
 * a card revoked after PKI-AUTH stops minting derived credentials.
 */
export async function verifyCardCertificate(certificateDer: Uint8Array, policy: PivTrustPolicy): Promise<CardAuthenticationResult> {
  return checkCard(certificateDer, policy, () => null);
}

type CardKey = Extract<ReturnType<typeof cardPublicKey>, { ok: true }>;

async function checkCard(
  certificateDer: Uint8Array, policy: PivTrustPolicy, proofOfPossession: (key: CardKey) => CardAuthenticationResult | null,
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

  const candidate = buildCandidatePath(leaf, state.store);
  if (!candidate.ok) return fail('untrusted', candidate.message);
  const dates = checkValidity(candidate.path, at);
  if (!dates.ok) return fail(dates.code, dates.message);
  const policyResult = checkPolicies(candidate.path, policy.requiredPolicyOids);
  if (!policyResult.ok) return fail('policy-missing', policyResult.message);

  // pkijs reads the card certificate only for OCSP requests and whole-path validation: make sure it can.
  const wholePath = needsWholePathEngine(candidate.path);
  if ((wholePath || policy.ocspUrl !== null) && !engineCertificate(leaf).ok) {
    return fail('bad-certificate', 'the certificate cannot be parsed by the path engine');
  }
  const revocation = await checkRevocation(candidate.path, { urls: policy.crlUrls, files: policy.crlFiles, ocspUrl: policy.ocspUrl, maxAgeMs: policy.revocationMaxAgeMs }, state.caches, at, state.store);
  if (!revocation.ok) return fail(revocation.code, revocation.message);
  const validated = wholePath
    ? await validateWholePath(leaf, candidate.path, revocation, state, at)
    : await validateSplitPath(candidate.path, revocation.perCertificate, state, at);
  if (validated !== null) return validated;
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
      issuerDn: issuerDnOf(candidate.path),
      serialNumberHex: leaf.serialNumber,
      notAfter: leaf.fields.notAfter,
      certificateDer: leaf.der,
      keyAlgorithm: key.algorithm,
    },
  };
}

/** pkijs on the whole path; its verdict is cached per card for the same evidence objects. */
async function validateWholePath(
  leaf: ParsedCertificate, path: readonly ParsedCertificate[], evidence: { crls: pkijs.CertificateRevocationList[]; ocsps: pkijs.BasicOCSPResponse[] },
  state: PolicyState, at: Date,
): Promise<CardAuthenticationResult | null> {
  if (state.verdicts.get(leaf, evidence.crls, evidence.ocsps) !== undefined) return null;
  if (typeof state.store === 'string') return fail('untrusted', state.store);
  const engine = await validateWithEngine(leaf, state.store, at);
  if (!engine.ok) return fail(engine.code, engine.message);
  // The engine may pick another path than the name-chained candidate; evidence and policy were checked for
  // the candidate, so anything else is refused rather than trusted unchecked.
  if (!samePath(engine.path, path)) return fail('untrusted', 'the validated certificate path differs from the one checked for revocation');
  state.verdicts.set(leaf, { crls: evidence.crls, ocsps: evidence.ocsps, path: engine.path });
  return null;
}

/** pkijs on the CA part (cached), OpenSSL on the card's own step (every call): see ca-path.ts. */
async function validateSplitPath(
  path: readonly ParsedCertificate[], evidence: readonly RevocationEvidence[], state: PolicyState, at: Date,
): Promise<CardAuthenticationResult | null> {
  const leafStep = checkLeafStep(path);
  if (!leafStep.ok) return fail('untrusted', leafStep.message);
  const caPart = await validateCaPart(path.slice(1), evidence.slice(1), state.caPaths, at);
  return caPart.ok ? null : fail(caPart.code, caPart.message);
}

function samePath(a: readonly ParsedCertificate[], b: readonly ParsedCertificate[]): boolean {
  return a.length === b.length && a.every((certificate, index) => certificate === b[index]);
}

/**
 * The card's issuer DN as text. When its bytes are those of the issuing CA's subject (the usual case), the CA's
 * text — made once for the configured CA — is the same string, so a new card needs no name formatting.
 */
function issuerDnOf(path: readonly ParsedCertificate[]): string {
  const [leaf, issuingCa] = path;
  if (leaf === undefined) return '';
  if (issuingCa !== undefined && Buffer.from(leaf.fields.issuerName).equals(issuingCa.fields.subjectName)) return issuingCa.subject;
  return leaf.issuer;
}

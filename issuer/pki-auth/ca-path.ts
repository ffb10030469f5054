// Path validation split in two, so a new card costs one OpenSSL signature check instead of a whole pkijs run:
//
// 1. The CA part (the card's issuing CA … trust anchor) is validated by pkijs's CertificateChainValidationEngine
//    (revocation was checked before, by revocation/), and the verdict is cached. The cache key is the
//    exact DER of every certificate of the CA part; an entry is only served for the very same evidence objects (a
//    re-read CRL or a new OCSP answer is a new object, see revocation/) and never after the earliest notAfter of
//    the CA certificates or nextUpdate of the CA part's CRLs. A CA revoked by a newly loaded CRL is therefore
//    refused by the revocation check before this cache is even asked, and the next good evidence re-runs pkijs.
// 2. The card's own step (leaf → issuing CA) is checked here on every call: the leaf's signature verifies with the
//    issuing CA's public key (OpenSSL, key object made once per CA), the issuer is a CA (basicConstraints cA; its
//    keyUsage allowing keyCertSign was checked by OpenSSL's X509_check_issued while building the path), and every
//    pathLenConstraint of the CAs holds. Validity dates, policy, identity and the leaf's revocation answer are
//    checked by the caller on every call, as before.
//
// What pkijs's engine would additionally have done for the leaf step: name constraints and policy-constraint
// processing. Paths whose CA certificates carry nameConstraints, policyConstraints or inhibitAnyPolicy are
// therefore not split: the caller runs the whole path through pkijs (see needsWholePathEngine).
import { createHash } from 'node:crypto';
import type { ParsedCertificate } from './parsed-certificate.ts';
import { OID } from './certificate-extensions.ts';
import { validateWithEngine, type EngineResult } from './path.ts';
import type { RevocationEvidence } from './revocation/revocation-check.ts';

const CONSTRAINTS_PROCESSED_ONLY_BY_PKIJS = [OID.nameConstraints, OID.policyConstraints, OID.inhibitAnyPolicy];

/** `path` is leaf first, anchor last. True when some CA certificate carries a constraint only pkijs processes. */
export function needsWholePathEngine(path: readonly ParsedCertificate[]): boolean {
  return path.slice(1).some((ca) => CONSTRAINTS_PROCESSED_ONLY_BY_PKIJS.some((oid) => ca.fields.extensions.present.has(oid)));
}

interface CaVerdict {
  readonly evidence: readonly object[];
  readonly expiresAtMs: number;
}

export class CaPathCache {
  private readonly verdicts = new Map<string, CaVerdict>();

  /** True when pkijs already accepted exactly this CA part with exactly this evidence, and that is still current. */
  has(caPath: readonly ParsedCertificate[], evidence: readonly RevocationEvidence[], at: Date): boolean {
    const verdict = this.verdicts.get(caPathKey(caPath));
    if (verdict === undefined || at.getTime() >= verdict.expiresAtMs) return false;
    const objects = evidenceObjects(evidence);
    return objects.length === verdict.evidence.length && objects.every((object, index) => object === verdict.evidence[index]);
  }

  remember(caPath: readonly ParsedCertificate[], evidence: readonly RevocationEvidence[]): void {
    this.verdicts.set(caPathKey(caPath), { evidence: evidenceObjects(evidence), expiresAtMs: expiryOf(caPath, evidence) });
  }
}

/** The DER of every certificate, in order: a different CA with the same name is a different key. */
function caPathKey(caPath: readonly ParsedCertificate[]): string {
  return caPath.map(derDigest).join('.');
}

/** SHA-256 of a certificate's DER, computed once per (configured, long-lived) certificate object. */
const digests = new WeakMap<ParsedCertificate, string>();
function derDigest(certificate: ParsedCertificate): string {
  let digest = digests.get(certificate);
  if (digest === undefined) {
    digest = createHash('sha256').update(certificate.der).digest('base64');
    digests.set(certificate, digest);
  }
  return digest;
}

function evidenceObjects(evidence: readonly RevocationEvidence[]): object[] {
  return evidence.flatMap((answer) => [answer.crl ?? 'no-crl', answer.ocsp ?? 'no-ocsp']).map((item) => (typeof item === 'string' ? NONE : item));
}
const NONE = Object.freeze({});

function expiryOf(caPath: readonly ParsedCertificate[], evidence: readonly RevocationEvidence[]): number {
  const times = caPath.map((certificate) => certificate.fields.notAfter.getTime());
  for (const answer of evidence) {
    const nextUpdate = answer.crl?.crl.nextUpdate?.value.getTime();
    if (nextUpdate !== undefined) times.push(nextUpdate);
  }
  return Math.min(...times);
}

export type CaPartResult = { ok: true } | Extract<EngineResult, { ok: false }>;

/**
 * Validates the CA part (issuing CA first, anchor last) with pkijs unless the same CA part with the same evidence
 * was accepted before. `evidence[i]` is the revocation answer heard for `caPath[i]`.
 */
export async function validateCaPart(
  caPath: readonly ParsedCertificate[], evidence: readonly RevocationEvidence[], cache: CaPathCache, at: Date,
): Promise<CaPartResult> {
  if (caPath.length < 2 || cache.has(caPath, evidence, at)) return { ok: true }; // an anchor alone is input, not a path
  const [issuingCa] = caPath;
  const anchor = caPath[caPath.length - 1];
  if (issuingCa === undefined || anchor === undefined) return { ok: false, code: 'untrusted', message: 'empty CA path' };
  const store = { anchors: [anchor], intermediates: caPath.slice(1, -1) };
  const result = await validateWithEngine(issuingCa, store, at);
  if (!result.ok) return result;
  if (result.path.length !== caPath.length || result.path.some((certificate, index) => certificate !== caPath[index])) {
    return { ok: false, code: 'untrusted', message: 'the validated CA path differs from the one checked for revocation' };
  }
  cache.remember(caPath, evidence);
  return { ok: true };
}

export type LeafStepResult = { ok: true } | { ok: false; message: string };

/** The card certificate's own step: signed by the issuing CA, which is a CA; path length constraints hold. */
export function checkLeafStep(path: readonly ParsedCertificate[]): LeafStepResult {
  const [leaf, issuingCa] = path;
  if (leaf === undefined || issuingCa === undefined) return { ok: false, message: 'certificate path is too short' };
  if (issuingCa.fields.extensions.basicConstraints?.ca !== true) {
    return { ok: false, message: `"${issuingCa.subject}" is not a CA certificate` };
  }
  let signed: boolean;
  try {
    signed = leaf.openssl.verify(issuingCa.publicKey); // a KeyObject made once, when the CA was configured
  } catch (error) {
    return { ok: false, message: `the certificate's signature cannot be checked: ${error instanceof Error ? error.message.slice(0, 120) : 'unknown error'}` };
  }
  if (!signed) return { ok: false, message: `the certificate's signature does not verify with the key of "${issuingCa.subject}"` };
  return pathLengthProblem(path) ?? { ok: true };
}

/**
 * RFC 5280 §4.2.1.9: a CA's pathLenConstraint bounds the non-self-issued CA certificates below it (§6.1.4 (l): a
 * self-issued certificate, e.g. a key-rollover certificate, is not counted; PKITS 4.6.15, 4.6.17). pkijs 4's engine
 * does not enforce it, so it is checked here for every non-anchor CA.
 */
function pathLengthProblem(path: readonly ParsedCertificate[]): LeafStepResult | null {
  for (let index = 1; index < path.length - 1; index += 1) {
    const ca = path[index];
    const limit = ca?.fields.extensions.basicConstraints?.pathLength;
    const below = path.slice(1, index).filter((certificate) => !selfIssued(certificate)).length;
    if (ca !== undefined && limit !== undefined && below > limit) {
      return { ok: false, message: `"${ca.subject}" allows at most ${limit} CA certificates below it` };
    }
  }
  return null;
}

function selfIssued(certificate: ParsedCertificate): boolean {
  return Buffer.from(certificate.fields.subjectName).equals(certificate.fields.issuerName);
}


// Certification path (RFC 5280 §6): a cheap name-chained candidate first (no crypto, so hostile certificates
// cost nothing and revocation sources are only consulted for a plausible path), then pkijs's
// CertificateChainValidationEngine for the real validation — signatures, CA flags, name constraints. Revocation is
// NOT given to pkijs: revocation/ has already demanded and checked an answer for every certificate of the path, with
// rules pkijs lacks (CRL scope, CRLs signed by another key of the CA, signed serials, delta CRLs); pkijs re-checking
// the same CRLs with its own rules would refuse a CRL signed after a key rollover and accept a partition CRL.
import * as pkijs from 'pkijs';
import { sameCertificate, type ParsedCertificate } from './parsed-certificate.ts';

const MAX_PATH_LENGTH = 6;

export interface TrustStore {
  readonly anchors: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
}

export type CandidatePathResult = { ok: true; path: ParsedCertificate[] } | { ok: false; message: string };

/** Leaf first, trust anchor last. */
export function buildCandidatePath(leaf: ParsedCertificate, store: TrustStore): CandidatePathResult {
  if ([...store.anchors, ...store.intermediates].some((known) => sameCertificate(known, leaf))) {
    return { ok: false, message: 'the presented certificate is a CA certificate, not a PIV Authentication certificate' };
  }
  const path = [leaf];
  let current = leaf;
  while (path.length <= MAX_PATH_LENGTH) {
    const anchor = store.anchors.find((candidate) => issuedBy(current, candidate));
    if (anchor !== undefined) return { ok: true, path: [...path, anchor] };
    const intermediate = store.intermediates.find((candidate) => issuedBy(current, candidate) && !path.includes(candidate));
    if (intermediate === undefined) {
      return { ok: false, message: `no configured trust anchor or intermediate CA issued "${current.issuer}"` };
    }
    path.push(intermediate);
    current = intermediate;
  }
  return { ok: false, message: `certificate path is longer than ${MAX_PATH_LENGTH}` };
}

/**
 * OpenSSL's X509_check_issued: the subject's issuer name equals the candidate's subject name, the authority key
 * identifier (when present) matches the candidate's subject key identifier, and the candidate's keyUsage (when
 * present) allows keyCertSign. No signature yet: that comes with the path validation.
 */
function issuedBy(subject: ParsedCertificate, candidate: ParsedCertificate): boolean {
  return subject.openssl.checkIssued(candidate.openssl);
}

export type EngineResult =
  | { ok: true; path: ParsedCertificate[] }
  | { ok: false; code: 'untrusted' | 'revoked' | 'revocation-unavailable' | 'expired'; message: string };

/** pkijs result codes that mean something more specific than "untrusted". */
const ENGINE_REVOKED = 12;
const ENGINE_NO_REVOCATION_VALUES = 11;
const ENGINE_DATES = 8;

export async function validateWithEngine(leaf: ParsedCertificate, store: TrustStore, at: Date): Promise<EngineResult> {
  const intermediates = store.intermediates.filter((intermediate) => !store.anchors.some((anchor) => sameCertificate(anchor, intermediate)));
  const byEngineObject = new Map<pkijs.Certificate, ParsedCertificate>();
  for (const certificate of [...store.anchors, ...intermediates, leaf]) byEngineObject.set(certificate.pkijs, certificate);
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: store.anchors.map((anchor) => anchor.pkijs),
    certs: [...intermediates.map((intermediate) => intermediate.pkijs), leaf.pkijs], // pkijs takes the last as the leaf
    checkDate: at,
  });
  const result = await engine.verify({ passedWhenNotRevValues: false });
  if (!result.result) {
    const message = `certificate path rejected: ${String(result.resultMessage).slice(0, 200)}`;
    if (result.resultCode === ENGINE_REVOKED) return { ok: false, code: 'revoked', message };
    if (result.resultCode === ENGINE_NO_REVOCATION_VALUES) return { ok: false, code: 'revocation-unavailable', message };
    if (result.resultCode === ENGINE_DATES) return { ok: false, code: 'expired', message };
    return { ok: false, code: 'untrusted', message };
  }
  const path = (result.certificatePath ?? []).map((certificate) => byEngineObject.get(certificate));
  if (path.length < 2 || path.some((certificate) => certificate === undefined)) {
    return { ok: false, code: 'untrusted', message: 'certificate path engine returned an unexpected path' };
  }
  return { ok: true, path: path as ParsedCertificate[] };
}

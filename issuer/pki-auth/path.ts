// Certification path building (RFC 4158 in small): every path from the card certificate to a configured trust
// anchor, found by OpenSSL's X509_check_issued alone (issuer name = subject name, AKI = SKI when both are there,
// the issuer's keyUsage allows keyCertSign) — no signature and no network, so hostile certificates cost little.
// Every candidate is then validated (path-validation.ts); the card is accepted if one validates. Trying them all
// is what makes the verdict independent of the order of the configured files: FPKI bundles hold several
// certificates with one subject and key (cross-certificates, re-issued CAs), and the first match may be the one
// that does not validate.
import { sameCertificate, type ParsedCertificate } from './parsed-certificate.ts';

/** CA certificates between the card and its anchor; real Federal PKI paths have at most 4 (card, SSP CA, bridge…). */
export const MAX_INTERMEDIATES = 6;
/** Candidate paths kept per card; the depth-first search stops there, so a bundle with many cross-certificates stays cheap. */
export const MAX_CANDIDATE_PATHS = 16;
/** X509_check_issued calls per search: the bound on work for a hostile or degenerate bundle. */
const MAX_ISSUER_CHECKS = 2000;

export interface TrustStore {
  readonly anchors: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
}

export type CandidatePathsResult = { ok: true; paths: ParsedCertificate[][] } | { ok: false; message: string };

/** Every candidate path, each leaf first and trust anchor last, shortest first. */
export function buildCandidatePaths(leaf: ParsedCertificate, store: TrustStore): CandidatePathsResult {
  if ([...store.anchors, ...store.intermediates].some((known) => sameCertificate(known, leaf))) {
    return {
      ok: false,
      message: 'the presented certificate is a CA certificate, not a PIV Authentication certificate',
    };
  }
  const intermediates = store.intermediates.filter(
    (certificate) => !store.anchors.some((anchor) => sameCertificate(anchor, certificate)),
  );
  const search = { paths: [] as ParsedCertificate[][], checks: 0, tooLong: false };
  extend([leaf], store.anchors, intermediates, search);
  if (search.paths.length > 0) {
    return { ok: true, paths: search.paths.sort((a, b) => a.length - b.length) };
  }
  if (search.tooLong)
    return {
      ok: false,
      message: `no certificate path of at most ${MAX_INTERMEDIATES} intermediate CAs reaches a configured trust anchor`,
    };
  if (intermediates.some((candidate) => leaf.openssl.checkIssued(candidate.openssl))) {
    return {
      ok: false,
      message: `the configured CA certificates named "${leaf.issuer}" chain to no configured trust anchor`,
    };
  }
  return { ok: false, message: `no configured trust anchor or intermediate CA issued "${leaf.issuer}"` };
}

interface Search {
  paths: ParsedCertificate[][];
  checks: number;
  tooLong: boolean;
}

function extend(
  path: ParsedCertificate[],
  anchors: readonly ParsedCertificate[],
  intermediates: readonly ParsedCertificate[],
  search: Search,
): void {
  const current = path[path.length - 1];
  if (current === undefined) return;
  for (const anchor of anchors) {
    if (search.paths.length >= MAX_CANDIDATE_PATHS || !issuedBy(current, anchor, search)) continue;
    search.paths.push([...path, anchor]);
  }
  for (const intermediate of intermediates) {
    if (search.paths.length >= MAX_CANDIDATE_PATHS || search.checks >= MAX_ISSUER_CHECKS) return;
    if (path.includes(intermediate) || !issuedBy(current, intermediate, search)) continue;
    if (path.length - 1 >= MAX_INTERMEDIATES) {
      search.tooLong = true;
      continue;
    }
    extend([...path, intermediate], anchors, intermediates, search);
  }
}

/** OpenSSL's X509_check_issued; counted, so the search is bounded. */
function issuedBy(subject: ParsedCertificate, candidate: ParsedCertificate, search: Search): boolean {
  search.checks += 1;
  return subject.openssl.checkIssued(candidate.openssl);
}

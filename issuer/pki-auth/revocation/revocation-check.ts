// SP 800-116 / RFC 5280 §6.3: every certificate in the path except the trust anchor needs a revocation answer.
// pkijs accepts a chain silently when it is given no CRL or OCSP response at all, so the answer is demanded here:
// a qualifying CRL or a good OCSP response per certificate, "revoked" from any qualifying source wins, and no
// answer at all is a failure.
import type * as pkijs from 'pkijs';
import type { ParsedCertificate } from '../parsed-certificate.ts';
import { loadCrls, type CrlCache, type CrlSources, type LoadedCrl } from './crl.ts';
import { crlAnswerFor } from './crl-answer.ts';
import { crlSigners, type SignerTrust } from './crl-signer.ts';
import { ocspAnswerFor, type OcspCache } from './ocsp.ts';

export interface RevocationSources extends CrlSources {
  readonly ocspUrl: string | null;
}
export interface RevocationCaches {
  readonly crl: CrlCache;
  readonly ocsp: OcspCache;
}

/** The evidence heard for one certificate of the path (same index as in the path). */
export interface RevocationEvidence {
  readonly crl: LoadedCrl | null;
  readonly ocsp: pkijs.BasicOCSPResponse | null;
}

export type RevocationResult =
  | {
      ok: true;
      crls: pkijs.CertificateRevocationList[];
      ocsps: pkijs.BasicOCSPResponse[];
      perCertificate: RevocationEvidence[];
    }
  | { ok: false; code: 'revoked' | 'revocation-unavailable'; message: string };

/**
 * `path` is leaf first, trust anchor last; the anchor itself needs no answer. `trust` is the configured certificates,
 * among which a CRL signed by another key of a CA finds that key's certificate (crl-signer.ts); `depth` counts how
 * many CRL signers deep this check runs (0 for the card's own path).
 */
export async function checkRevocation(
  path: readonly ParsedCertificate[],
  sources: RevocationSources,
  caches: RevocationCaches,
  at: Date,
  trust: SignerTrust,
  depth = 0,
): Promise<RevocationResult> {
  const loaded = await loadCrls(sources, caches.crl, at);
  const anchor = path[path.length - 1];
  if (anchor === undefined) return { ok: false, code: 'revocation-unavailable', message: 'empty certificate path' };
  const signers = crlSigners(trust, anchor, at, depth, async (signerPath) => {
    const answer = await checkRevocation(signerPath, sources, caches, at, trust, depth + 1);
    return answer.ok ? null : answer.message;
  });
  const crls = new Set<pkijs.CertificateRevocationList>();
  const ocsps = new Set<pkijs.BasicOCSPResponse>();
  const perCertificate: RevocationEvidence[] = [];
  for (let index = 0; index < path.length - 1; index += 1) {
    const subject = path[index];
    const issuer = path[index + 1];
    if (subject === undefined || issuer === undefined) break;
    const reasons = [...loaded.problems];
    const fromCrl = await crlAnswerFor(subject, issuer, loaded.crls, at, signers);
    if (fromCrl.status === 'revoked') return { ok: false, code: 'revoked', message: fromCrl.message };
    if (fromCrl.status === 'good') crls.add(fromCrl.crl.crl);
    else reasons.push(...fromCrl.reasons);
    const crl = fromCrl.status === 'good' ? fromCrl.crl : null;
    if (sources.ocspUrl !== null) {
      const fromOcsp = await ocspAnswerFor(subject, issuer, sources.ocspUrl, caches.ocsp, at, sources.maxAgeMs);
      if (fromOcsp.status === 'revoked') return { ok: false, code: 'revoked', message: fromOcsp.message };
      if (fromOcsp.status === 'good') ocsps.add(fromOcsp.response);
      else reasons.push(fromOcsp.message);
      if (fromOcsp.status === 'good') {
        perCertificate.push({ crl, ocsp: fromOcsp.response });
        continue;
      }
    }
    if (fromCrl.status !== 'good') {
      const who = `"${subject.subject}"`;
      return {
        ok: false,
        code: 'revocation-unavailable',
        message: `no revocation answer for ${who}: ${unique(reasons).join('; ').slice(0, 600)}`,
      };
    }
    perCertificate.push({ crl, ocsp: null });
  }
  return { ok: true, crls: [...crls], ocsps: [...ocsps], perCertificate };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

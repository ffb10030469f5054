// The revocation status of a stored card certificate, for the card monitor: its issuing CA's CRLs (the configured
// `pivTrust` CRL URLs and files: loaded once per run, downloaded again when older than the freshness or past their
// nextUpdate, size-capped), then OCSP when no CRL answers. The rules are PKI-AUTH's own (revocation/crl-answer.ts:
// issuer, scope, dates, signature, deltas); only the card side is lighter: the card is named by its issuer Name and
// serial read from the stored DER (card-certificate-keys.ts), and parsed in full only when OCSP or a partitioned CRL
// needs it. Anything short of a current, qualifying answer is `unknown` — never `revoked`, never `good`.
//
// Not checked here: the revocation of the card's CA certificates above its issuer (PKI-AUTH and the re-check at
// approve and redeem do that for every new credential; a CA revocation is a tenant-wide event, not a card's).
import type { CardRecord, EligibilityVerdict } from '../storage/issuer-storage.ts';
import { DerFormatError } from '../der/strict-der.ts';
import { engineCertificate, parseCertificate, type ParsedCertificate } from '../pki-auth/parsed-certificate.ts';
import {
  crlAnswerForSubject,
  lazyDistributionPoints,
  type CrlSigners,
  type CrlSubject,
} from '../pki-auth/revocation/crl-answer.ts';
import { createCrlCache, loadCrls, type CrlSources } from '../pki-auth/revocation/crl.ts';
import { crlSigners, type SignerTrust } from '../pki-auth/revocation/crl-signer.ts';
import { createOcspCache, ocspAnswerFor } from '../pki-auth/revocation/ocsp.ts';
import { checkRevocation } from '../pki-auth/revocation/revocation-check.ts';
import { readCardCertificateKeys, type CardCertificateKeys } from './card-certificate-keys.ts';

export interface CardVerdict {
  readonly verdict: EligibilityVerdict;
  /** The source of the answer, or why there is none. */
  readonly detail: string;
}

export interface CardRevocationSources {
  readonly trustAnchorsDer: readonly Uint8Array[];
  readonly intermediatesDer: readonly Uint8Array[];
  readonly crlUrls: readonly string[];
  readonly crlFiles: readonly string[];
  readonly ocspUrl: string | null;
  /** A CRL from a URL or a cached OCSP "good" older than this is fetched again. */
  readonly maxAgeMs: number;
  readonly maxCrlBytes: number;
}

/** One run's checker: the CRLs are loaded once, when the run begins. */
export type CardChecker = (card: CardRecord) => Promise<CardVerdict>;

export interface CardRevocationOracle {
  beginRun(at: Date): Promise<CardChecker>;
}

const MAX_DETAIL = 600;

export function createCardRevocationOracle(sources: CardRevocationSources): CardRevocationOracle {
  const trust = parseTrust(sources);
  const caches = { crl: createCrlCache(), ocsp: createOcspCache() };
  const crlSources: CrlSources & { ocspUrl: string | null } = {
    urls: sources.crlUrls,
    files: sources.crlFiles,
    maxAgeMs: sources.maxAgeMs,
    maxBytes: sources.maxCrlBytes,
    ocspUrl: sources.ocspUrl,
  };

  return {
    beginRun: async (at) => {
      if (typeof trust === 'string') return () => Promise.resolve(unknown(trust));
      const loaded = await loadCrls(crlSources, caches.crl, at);
      const signers = new Map<ParsedCertificate, CrlSigners>();
      const signersFor = (issuer: ParsedCertificate): CrlSigners => {
        let found = signers.get(issuer);
        if (found === undefined) {
          found = crlSigners(trust, anchorOf(issuer, trust), at, 0, async (path) => {
            const answer = await checkRevocation(path, crlSources, caches, at, trust, 1);
            return answer.ok ? null : answer.message;
          });
          signers.set(issuer, found);
        }
        return found;
      };
      // One OCSP responder that does not answer would otherwise cost its time-out on every card of the run.
      let ocspDown: string | null = null;

      return async (card) => {
        let keys: CardCertificateKeys;
        try {
          keys = readCardCertificateKeys(card.certificateDer);
        } catch (error) {
          return unknown(
            `the stored card certificate is unreadable (${error instanceof DerFormatError ? error.message.slice(0, 120) : 'unknown error'})`,
          );
        }
        const issuers = trust.bySubject.get(keys.issuerNameHex) ?? [];
        if (issuers.length === 0)
          return unknown(`no configured CA certificate is the card's issuer "${card.issuerDn}"`);
        const subject = cardSubject(card, keys);
        const reasons = [...loaded.problems];
        let good: string | null = null;
        for (const issuer of issuers) {
          const answer = await crlAnswerForSubject(subject, issuer, loaded.crls, at, signersFor(issuer));
          if (answer.status === 'revoked') return { verdict: 'revoked', detail: answer.message };
          if (answer.status === 'good') good ??= `CRL ${answer.crl.source}`;
          else reasons.push(...answer.reasons);
        }
        if (good !== null) return { verdict: 'good', detail: good };
        if (sources.ocspUrl === null) return unknown(reasons);
        if (ocspDown !== null) return unknown([...reasons, `OCSP not asked again this run: ${ocspDown}`]);
        const fromOcsp = await askOcsp(card, issuers, sources.ocspUrl, caches.ocsp, at, sources.maxAgeMs);
        if (fromOcsp.down) ocspDown = fromOcsp.detail;
        return fromOcsp.verdict === 'unknown' ? unknown([...reasons, fromOcsp.detail]) : fromOcsp;
      };
    },
  };
}

interface Trust extends SignerTrust {
  /** Configured CA certificates by the hex of their subject Name's DER. */
  readonly bySubject: ReadonlyMap<string, readonly ParsedCertificate[]>;
}

function parseTrust(sources: CardRevocationSources): Trust | string {
  const parse = (ders: readonly Uint8Array[], role: string): ParsedCertificate[] | string => {
    const parsed: ParsedCertificate[] = [];
    for (const [index, der] of ders.entries()) {
      const result = parseCertificate(der);
      if (!result.ok) return `configured ${role} #${index + 1}: ${result.message}`;
      if (!engineCertificate(result.certificate).ok)
        return `configured ${role} #${index + 1} cannot be read for CRL checks`;
      parsed.push(result.certificate);
    }
    return parsed;
  };
  const anchors = parse(sources.trustAnchorsDer, 'trust anchor');
  if (typeof anchors === 'string') return anchors;
  const intermediates = parse(sources.intermediatesDer, 'intermediate CA');
  if (typeof intermediates === 'string') return intermediates;
  const bySubject = new Map<string, ParsedCertificate[]>();
  for (const certificate of [...intermediates, ...anchors]) {
    const key = Buffer.from(certificate.fields.subjectName).toString('hex');
    bySubject.set(key, [...(bySubject.get(key) ?? []), certificate]);
  }
  return { anchors, intermediates, bySubject };
}

/** The trust anchor `ca` chains to by name among the configured certificates (for CRLs signed by another key). */
function anchorOf(ca: ParsedCertificate, trust: Trust): ParsedCertificate {
  let current = ca;
  for (let step = 0; step < 8; step += 1) {
    if (trust.anchors.includes(current)) return current;
    const issuerName = Buffer.from(current.fields.issuerName);
    const anchor = trust.anchors.find((candidate) => issuerName.equals(candidate.fields.subjectName));
    if (anchor !== undefined) return anchor;
    const parent = trust.intermediates.find(
      (candidate) => candidate !== current && issuerName.equals(candidate.fields.subjectName),
    );
    if (parent === undefined) break;
    current = parent;
  }
  return trust.anchors[0] ?? ca;
}

/** The card as a CRL subject: parsed in full only if a partitioned CRL asks for its distribution points. */
function cardSubject(card: CardRecord, keys: CardCertificateKeys): CrlSubject {
  let points: ReturnType<CrlSubject['distributionPoints']> | undefined;
  return {
    serialHex: keys.serialHex,
    isCa: false,
    subjectText: card.commonName,
    issuerText: card.issuerDn,
    serialText: card.serialNumberHex,
    distributionPoints: () => {
      if (points === undefined) {
        const parsed = parseCertificate(card.certificateDer);
        points = parsed.ok
          ? lazyDistributionPoints(parsed.certificate)()
          : `the stored card certificate cannot be parsed: ${parsed.message}`;
      }
      return points;
    },
  };
}

type OcspVerdict = CardVerdict & { readonly down: boolean };

async function askOcsp(
  card: CardRecord,
  issuers: readonly ParsedCertificate[],
  url: string,
  cache: ReturnType<typeof createOcspCache>,
  at: Date,
  maxAgeMs: number,
): Promise<OcspVerdict> {
  const parsed = parseCertificate(card.certificateDer);
  if (!parsed.ok || !engineCertificate(parsed.certificate).ok)
    return { verdict: 'unknown', detail: 'OCSP: the stored card certificate cannot be parsed', down: false };
  const subject = parsed.certificate;
  // The CertID names the issuer's key: ask about the CA certificate whose key signed the card's.
  const issuer = issuers.find((candidate) => signedBy(subject, candidate));
  if (issuer === undefined)
    return { verdict: 'unknown', detail: "OCSP: no configured CA certificate signed the card's", down: false };
  const answer = await ocspAnswerFor(subject, issuer, url, cache, at, maxAgeMs);
  switch (answer.status) {
    case 'good':
      return { verdict: 'good', detail: `OCSP ${url}`, down: false };
    case 'revoked':
      return { verdict: 'revoked', detail: answer.message, down: false };
    case 'unknown':
      return { verdict: 'unknown', detail: answer.message, down: false };
    case 'unavailable':
      return { verdict: 'unknown', detail: answer.message, down: true };
  }
}

function signedBy(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return subject.openssl.verify(issuer.publicKey);
  } catch {
    return false; // a key OpenSSL cannot use for this signature did not make it
  }
}

function unknown(reasons: string | readonly string[]): CardVerdict {
  const text = typeof reasons === 'string' ? reasons : [...new Set(reasons)].join('; ');
  return { verdict: 'unknown', detail: (text === '' ? 'no revocation answer' : text).slice(0, MAX_DETAIL) };
}

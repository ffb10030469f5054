// The answer of the configured CRLs for one certificate (RFC 5280 §6.3.3), only from CRLs that qualify:
// - issued under the certificate issuer's name (indirect CRLs are refused, see crl-contents.ts);
// - current (thisUpdate ≤ now + skew ≤ … ≤ nextUpdate), readable, without unknown critical extensions;
// - in scope (§6.3.3 (b)): onlyContainsUserCerts / CACerts / AttributeCerts, and when its issuingDistributionPoint
//   names a distribution point, one of the certificate's own cRLDistributionPoints names it too (a partition CRL
//   for another DP says nothing about this certificate);
// - signed by the issuer's key, or by another key of the same CA whose certificate has cRLSign and validates to
//   the same trust anchor, unrevoked (§6.3.3 (f): key rollover, a separate CRL-signing key; see crl-signer.ts).
// The complete CRLs heard must together cover every revocation reason (onlySomeReasons partitions add up, §6.3.3 (d)).
// A delta CRL (§5.2.4) is applied on top of a complete CRL of the same scope whose number is at least its
// BaseCRLNumber; a delta alone is never an answer. Revoked on any complete CRL (and not released by removeFromCRL
// in an applicable delta) or on an applicable delta: revoked.
import { serialNumberHex, type ParsedCertificate } from '../parsed-certificate.ts';
import { DerFormatError } from '../../der/strict-der.ts';
import { CLOCK_SKEW_MS, crlIssuedBy, crlSignedBy, type LoadedCrl } from './crl.ts';
import { REMOVE_FROM_CRL } from './crl-contents.ts';
import { ALL_REASONS, readCrlDistributionPoints, type CertificateDistributionPoint } from './distribution-points.ts';

export type CrlAnswer =
  { status: 'good'; crl: LoadedCrl } | { status: 'revoked'; message: string } | { status: 'none'; reasons: string[] };

/** Who may have signed a CRL for a CA, beyond the CA certificate itself (crl-signer.ts). */
export interface CrlSigners {
  /** Configured certificates with the CA's subject name but another certificate (key rollover, CRL-signing key). */
  alternatives(issuer: ParsedCertificate): readonly ParsedCertificate[];
  /** null when `signer` may sign CRLs now: it validates to the same trust anchor and is not revoked; else why not. */
  validate(signer: ParsedCertificate): Promise<string | null>;
}

interface Qualified {
  readonly loaded: LoadedCrl;
  readonly reasons: number;
}

/**
 * What a CRL answer needs of the certificate asked about. A parsed certificate gives it (`crlSubjectOf`); so does a
 * stored card certificate read only as far as its serial (issuer/eligibility/), which is what lets one CRL answer a
 * million cards without parsing a million certificates.
 */
export interface CrlSubject {
  /** Canonical two's-complement hex (../../der/integer.ts), the key of CRL entries. */
  readonly serialHex: string;
  readonly isCa: boolean;
  /**
   * Subject and issuer as text, and the serial as shown: for messages only. Getters on a parsed certificate, so a
   * "good" answer never pays for them (a Name as text costs ~70 µs in @peculiar/x509: 0.6 ms of an issuer worker's
   * CPU per enrollment in bench:issuer's profile, three card checks each writing two names no one read).
   */
  readonly subjectText: string;
  readonly issuerText: string;
  readonly serialText: string;
  /** The certificate's cRLDistributionPoints, asked for only when a CRL's scope names a distribution point. */
  distributionPoints(): readonly CertificateDistributionPoint[] | string;
}

export function crlSubjectOf(certificate: ParsedCertificate): CrlSubject {
  return {
    serialHex: serialNumberHex(certificate),
    isCa: certificate.fields.extensions.basicConstraints?.ca === true,
    get subjectText() {
      return certificate.subject;
    },
    get issuerText() {
      return certificate.issuer;
    },
    get serialText() {
      return certificate.serialNumber;
    },
    distributionPoints: lazyDistributionPoints(certificate),
  };
}

export async function crlAnswerFor(
  subject: ParsedCertificate,
  issuer: ParsedCertificate,
  crls: readonly LoadedCrl[],
  at: Date,
  signers: CrlSigners,
): Promise<CrlAnswer> {
  return crlAnswerForSubject(crlSubjectOf(subject), issuer, crls, at, signers);
}

export async function crlAnswerForSubject(
  subject: CrlSubject,
  issuer: ParsedCertificate,
  crls: readonly LoadedCrl[],
  at: Date,
  signers: CrlSigners,
): Promise<CrlAnswer> {
  const problems: string[] = [];
  const complete: Qualified[] = [];
  const deltas: LoadedCrl[] = [];
  for (const loaded of crls) {
    if (!crlIssuedBy(loaded, issuer)) continue;
    const reasons = scopeOf(loaded, subject);
    const problem =
      typeof reasons === 'string'
        ? reasons
        : (dateProblem(loaded, at) ?? (await signerProblem(loaded, issuer, signers)));
    if (problem !== null) {
      problems.push(`CRL ${loaded.source} ${problem}`);
      continue;
    }
    if (loaded.contents.deltaBase !== null) deltas.push(loaded);
    else if (typeof reasons === 'number') complete.push({ loaded, reasons });
  }
  const [first] = complete;
  if (first === undefined) {
    if (problems.length === 0) problems.push(`no configured CRL is issued by "${subject.issuerText}"`);
    if (deltas.length > 0) problems.push('a delta CRL is only applied to a complete CRL, and none qualifies');
    return { status: 'none', reasons: problems };
  }
  const revokedOn = revocationOf(subject.serialHex, complete, deltas);
  if (revokedOn !== null)
    return {
      status: 'revoked',
      message: `"${subject.subjectText}" (serial ${subject.serialText}) is on the CRL from ${revokedOn}`,
    };
  const covered = complete.reduce((mask, crl) => mask | crl.reasons, 0);
  if ((covered & ALL_REASONS) !== ALL_REASONS) {
    return {
      status: 'none',
      reasons: [...problems, `the CRLs heard for "${subject.subjectText}" cover only some revocation reasons`],
    };
  }
  return { status: 'good', crl: first.loaded };
}

/** The source of the listing that revokes `serial`, or null when it is not revoked. */
function revocationOf(serial: string, complete: readonly Qualified[], deltas: readonly LoadedCrl[]): string | null {
  for (const { loaded } of complete) {
    const onBase = loaded.contents.entries.has(serial);
    const delta = applicableDeltas(loaded, deltas).find((candidate) => candidate.contents.entries.has(serial));
    const deltaReason = delta?.contents.entries.get(serial);
    if (delta !== undefined && deltaReason !== REMOVE_FROM_CRL) return delta.source;
    if (onBase && delta === undefined) return loaded.source;
  }
  return null;
}

/**
 * Deltas that extend `base` (§5.2.4): same scope, BaseCRLNumber ≤ the base's number < the delta's own number. A delta
 * older than the base is stale (its base's listings are already in the newer base); one based on a newer complete
 * CRL than ours cannot be combined with it.
 */
function applicableDeltas(base: LoadedCrl, deltas: readonly LoadedCrl[]): LoadedCrl[] {
  const baseNumber = base.contents.crlNumber;
  if (baseNumber === null) return [];
  return deltas.filter(
    ({ contents }) =>
      contents.scopeKey === base.contents.scopeKey &&
      contents.deltaBase !== null &&
      contents.deltaBase <= baseNumber &&
      contents.crlNumber !== null &&
      contents.crlNumber > baseNumber,
  );
}

function dateProblem(loaded: LoadedCrl, at: Date): string | null {
  const { crl } = loaded;
  if (crl.nextUpdate === undefined) return 'has no nextUpdate';
  if (crl.nextUpdate.value.getTime() < at.getTime())
    return `is stale (nextUpdate ${crl.nextUpdate.value.toISOString()})`;
  if (crl.thisUpdate.value.getTime() > at.getTime() + CLOCK_SKEW_MS)
    return `is not yet valid (thisUpdate ${crl.thisUpdate.value.toISOString()})`;
  return null;
}

/** The revocation reasons this CRL answers for `subject` (ReasonFlags bits), or why it does not cover it. */
function scopeOf(loaded: LoadedCrl, subject: CrlSubject): number | string {
  const { unusable, scope } = loaded.contents;
  if (unusable !== null) return unusable;
  if (scope === null) return ALL_REASONS;
  if (scope.onlyAttributeCerts) return 'covers only attribute certificates';
  if (scope.onlyUserCerts && subject.isCa) return 'covers only end-entity certificates';
  if (scope.onlyCaCerts && !subject.isCa) return 'covers only CA certificates';
  if (scope.names === null) return scope.reasons;
  const points = subject.distributionPoints();
  if (typeof points === 'string') return points;
  const scopeNames = scope.names;
  const matching = points.find(
    (point) => !point.hasCrlIssuer && point.names !== null && [...point.names].some((name) => scopeNames.has(name)),
  );
  if (matching === undefined) return 'is a partition for another distribution point than the certificate names';
  return scope.reasons & matching.reasons;
}

/** The certificate's cRLDistributionPoints, read only when a CRL's scope names a distribution point. */
export function lazyDistributionPoints(
  subject: ParsedCertificate,
): () => readonly CertificateDistributionPoint[] | string {
  let read: readonly CertificateDistributionPoint[] | string | undefined;
  return () => {
    if (read === undefined) {
      const value = subject.fields.extensions.crlDistributionPoints;
      try {
        read = value === null ? [] : readCrlDistributionPoints(value, subject.fields.issuerName);
      } catch (error) {
        read = `cannot be matched: the certificate's cRLDistributionPoints is unreadable (${error instanceof DerFormatError ? error.message.slice(0, 120) : 'unknown error'})`;
      }
    }
    return read;
  };
}

/** null when the CRL is signed by the issuer's key or by a validated other key of the same CA; else why not. */
async function signerProblem(
  loaded: LoadedCrl,
  issuer: ParsedCertificate,
  signers: CrlSigners,
): Promise<string | null> {
  if (mayIssueCrls(issuer) && (await crlSignedBy(loaded, issuer))) return null;
  const tried: string[] = [];
  for (const candidate of signers.alternatives(issuer)) {
    if (!mayIssueCrls(candidate) || !(await crlSignedBy(loaded, candidate))) continue;
    const invalid = await signers.validate(candidate);
    if (invalid === null) return null;
    tried.push(invalid);
  }
  if (tried.length > 0)
    return `is signed by another key of "${issuer.subject}" that is not valid for it: ${tried.join('; ')}`;
  return mayIssueCrls(issuer)
    ? `is not signed by "${issuer.subject}"`
    : `cannot be trusted: "${issuer.subject}" lacks the cRLSign key usage`;
}

const CRL_SIGN = 64; // KeyUsageFlags.cRLSign

function mayIssueCrls(certificate: ParsedCertificate): boolean {
  const keyUsage = certificate.fields.extensions.keyUsage;
  return keyUsage === null || (keyUsage & CRL_SIGN) !== 0;
}

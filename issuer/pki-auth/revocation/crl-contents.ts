// What a CRL says, read once when it is loaded (RFC 5280 §5): its entries keyed by serial (sign kept, see
// ../../der/integer.ts) with their reason codes, its scope (issuingDistributionPoint), its number, and whether it is a
// delta CRL. Anything this issuer cannot process makes the whole CRL unusable (§5.2, §5.3: a critical extension it
// does not understand, on the CRL or on an entry), so it is never taken as an answer — in either direction.
import type * as pkijs from 'pkijs';
import { canonicalIntegerHex } from '../../der/integer.ts';
import {
  DerFormatError,
  DerReader,
  TAG,
  contentOf,
  derFail,
  readBoolean,
  readIntegerBytes,
  readOid,
  readWhole,
  type DerElement,
} from '../../der/strict-der.ts';
import { readIssuingDistributionPoint, type IssuingDistributionPoint } from './distribution-points.ts';

const CRL_NUMBER = '2.5.29.20';
const DELTA_CRL_INDICATOR = '2.5.29.27';
const ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
const AUTHORITY_KEY_ID = '2.5.29.35';
const FRESHEST_CRL = '2.5.29.46';
const REASON_CODE = '2.5.29.21';
const HOLD_INSTRUCTION = '2.5.29.23';
const INVALIDITY_DATE = '2.5.29.24';
const CERTIFICATE_ISSUER = '2.5.29.29';
const UNDERSTOOD_CRL_EXTENSIONS = new Set([
  CRL_NUMBER,
  DELTA_CRL_INDICATOR,
  ISSUING_DISTRIBUTION_POINT,
  AUTHORITY_KEY_ID,
  FRESHEST_CRL,
]);
const UNDERSTOOD_ENTRY_EXTENSIONS = new Set([REASON_CODE, HOLD_INSTRUCTION, INVALIDITY_DATE]);
/** CRLReason removeFromCRL: only meaningful in a delta CRL (the certificate is no longer on hold). */
export const REMOVE_FROM_CRL = 8;
/** A CRL number is at most 20 octets (§5.2.3). */
const MAX_CRL_NUMBER_OCTETS = 20;

export interface CrlContents {
  /** The issuer Name as encoded in the CRL. */
  readonly issuerName: Uint8Array;
  /** Revoked serials (canonical two's-complement hex) → CRLReason code, null when the entry carries none. */
  readonly entries: ReadonlyMap<string, number | null>;
  readonly scope: IssuingDistributionPoint | null;
  /** The issuingDistributionPoint extnValue as hex ('' when absent): a delta applies only to a CRL of equal scope. */
  readonly scopeKey: string;
  readonly crlNumber: bigint | null;
  /** BaseCRLNumber of a delta CRL; null for a complete CRL. */
  readonly deltaBase: bigint | null;
  /** Why this CRL can never be an answer, or null. */
  readonly unusable: string | null;
}

/**
 * `crl` is the CRL without its entries (crl-envelope.ts); `revoked` is its revokedCertificates element in `der`, read
 * here straight from the bytes.
 */
export function readCrlContents(
  crl: pkijs.CertificateRevocationList,
  der: Uint8Array,
  revoked: DerElement | null,
): CrlContents {
  const issuerName = new Uint8Array(crl.issuer.toSchema().toBER());
  const base = {
    issuerName,
    entries: new Map<string, number | null>(),
    scope: null,
    scopeKey: '',
    crlNumber: null,
    deltaBase: null,
  };
  try {
    const extensions = readCrlExtensions(crl, issuerName);
    if (typeof extensions === 'string') return { ...base, unusable: extensions };
    if (extensions.scope?.indirect === true) {
      return { ...base, ...extensions, unusable: 'is an indirect CRL, which this issuer does not accept' };
    }
    const entries = revoked === null ? new Map<string, number | null>() : readEntries(der, revoked);
    if (typeof entries === 'string') return { ...base, ...extensions, unusable: entries };
    return { ...base, ...extensions, entries, unusable: null };
  } catch (error) {
    const detail = error instanceof DerFormatError ? error.message.slice(0, 120) : 'unreadable';
    return { ...base, unusable: `has an unreadable extension or entry (${detail})` };
  }
}

type ExtensionParts = Pick<CrlContents, 'scope' | 'scopeKey' | 'crlNumber' | 'deltaBase'>;

function readCrlExtensions(crl: pkijs.CertificateRevocationList, issuerName: Uint8Array): ExtensionParts | string {
  const parts: { -readonly [K in keyof ExtensionParts]: ExtensionParts[K] } = {
    scope: null,
    scopeKey: '',
    crlNumber: null,
    deltaBase: null,
  };
  const seen = new Set<string>();
  for (const extension of crl.crlExtensions?.extensions ?? []) {
    if (seen.has(extension.extnID)) return `has the extension ${extension.extnID} twice`;
    seen.add(extension.extnID);
    const value = new Uint8Array(extension.extnValue.valueBlock.valueHexView);
    switch (extension.extnID) {
      case ISSUING_DISTRIBUTION_POINT:
        parts.scope = readIssuingDistributionPoint(value, issuerName);
        parts.scopeKey = Buffer.from(value).toString('hex');
        break;
      case CRL_NUMBER:
        parts.crlNumber = readCrlNumber(value, 'cRLNumber');
        break;
      case DELTA_CRL_INDICATOR:
        parts.deltaBase = readCrlNumber(value, 'BaseCRLNumber');
        break;
      default:
        if (extension.critical && !UNDERSTOOD_CRL_EXTENSIONS.has(extension.extnID))
          return `has an unknown critical extension ${extension.extnID}`;
    }
  }
  return parts;
}

/** CRLNumber ::= INTEGER (0..MAX), at most 20 octets. */
function readCrlNumber(value: Uint8Array, what: string): bigint {
  const content = readIntegerBytes(value, readWhole(value, TAG.INTEGER, what));
  if (content.byteLength > MAX_CRL_NUMBER_OCTETS + 1 || ((content[0] ?? 0) & 0x80) !== 0)
    throw new DerFormatError(`${what} is negative or longer than 20 octets`);
  return BigInt(`0x${Buffer.from(content).toString('hex')}`);
}

/**
 * Entries of a direct CRL: every one is about a certificate of the CRL's issuer. A certificateIssuer entry extension
 * (only meaningful in an indirect CRL) or any critical entry extension this issuer does not know makes it unusable.
 * Read with the strict DER reader, one entry at a time (a CRL may list hundreds of thousands).
 */
function readEntries(der: Uint8Array, list: DerElement): Map<string, number | null> | string {
  const entries = new Map<string, number | null>();
  const reader = new DerReader(der, list, 'revokedCertificates');
  while (!reader.atEnd) {
    const entry = new DerReader(der, reader.next(TAG.SEQUENCE, 'entry'), 'revokedCertificates entry');
    const serialElement = entry.next(TAG.INTEGER, 'userCertificate');
    const revocationDate = entry.peekTag();
    if (revocationDate !== TAG.UTC_TIME && revocationDate !== TAG.GENERALIZED_TIME)
      derFail('revocationDate is not a UTCTime or GeneralizedTime');
    entry.any('revocationDate');
    const extensions = entry.optional(TAG.SEQUENCE, 'crlEntryExtensions');
    entry.done();
    const reason = extensions === null ? null : readEntryExtensions(der, extensions);
    if (typeof reason === 'string') return reason;
    // Entry serials are compared by value, so a redundant sign octet (BER-lenient CAs) is tolerated here.
    const content = contentOf(der, serialElement);
    if (content.byteLength === 0) derFail('userCertificate INTEGER without content');
    const serial = canonicalIntegerHex(content);
    // A serial listed twice stays revoked unless every listing is removeFromCRL.
    const previous = entries.get(serial);
    entries.set(serial, previous !== undefined && previous !== REMOVE_FROM_CRL ? previous : reason);
  }
  return entries;
}

/** The entry's reason code (null when it carries none), or why the whole CRL is unusable. */
function readEntryExtensions(der: Uint8Array, list: DerElement): number | null | string {
  let reason: number | null = null;
  const reader = new DerReader(der, list, 'crlEntryExtensions');
  while (!reader.atEnd) {
    const extension = new DerReader(der, reader.next(TAG.SEQUENCE, 'extension'), 'entry extension');
    const oid = readOid(der, extension.next(TAG.OID, 'extnID'));
    const criticalElement = extension.optional(TAG.BOOLEAN, 'critical');
    const critical = criticalElement !== null && readBoolean(der, criticalElement);
    const value = contentOf(der, extension.next(TAG.OCTET_STRING, 'extnValue'));
    extension.done();
    if (oid === CERTIFICATE_ISSUER)
      return 'has an entry for another certificate issuer (certificateIssuer) though it is not indirect';
    if (oid === REASON_CODE) reason = readReason(value);
    else if (critical && !UNDERSTOOD_ENTRY_EXTENSIONS.has(oid))
      return `has an entry with an unknown critical extension ${oid}`;
  }
  return reason;
}

/** CRLReason ::= ENUMERATED (0..10, 7 unused). */
function readReason(value: Uint8Array): number {
  const element = readWhole(value, 0x0a, 'reasonCode');
  const content = value.subarray(element.contentStart, element.end);
  const code = content[0];
  if (content.byteLength !== 1 || code === undefined || code > 10 || code === 7)
    throw new DerFormatError('reasonCode is not a CRLReason');
  return code;
}

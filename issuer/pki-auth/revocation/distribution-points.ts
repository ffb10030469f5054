// Distribution points (RFC 5280 §4.2.1.13, §5.2.5): which certificates and which revocation reasons a CRL covers.
// Both sides are read with the strict DER reader: the CRL's issuingDistributionPoint (the CRL's own statement of its
// scope) and the certificate's cRLDistributionPoints (where its issuer says its status is published). A CRL whose
// scope cannot be read is never an answer.
import {
  DerReader,
  TAG,
  checkWellFormed,
  contentOf,
  contextConstructed,
  contextPrimitive,
  derFail,
  elementsOf,
  encodedOf,
  readBitString,
  readBoolean,
  readElementAt,
  readWhole,
  type DerElement,
} from '../../der/strict-der.ts';
import { MAX_GENERAL_NAMES } from '../certificate-extensions.ts';

/** ReasonFlags bits 1 (keyCompromise) … 8 (aACompromise); bit 0 is "unused" (RFC 5280 §5.2.5). */
export const ALL_REASONS = 0x1fe;
const MAX_DISTRIBUTION_POINTS = 32;
const NAME_DEPTH = 12;

export interface IssuingDistributionPoint {
  /** Keys of the distribution point names (see nameKey), or null when the IDP names none. */
  readonly names: ReadonlySet<string> | null;
  readonly onlyUserCerts: boolean;
  readonly onlyCaCerts: boolean;
  readonly onlyAttributeCerts: boolean;
  readonly indirect: boolean;
  /** onlySomeReasons as ReasonFlags bits; ALL_REASONS when absent. */
  readonly reasons: number;
}

export interface CertificateDistributionPoint {
  /** Keys of the distribution point names, or null when the DP names none (only a cRLIssuer). */
  readonly names: ReadonlySet<string> | null;
  /** ReasonFlags bits; ALL_REASONS when absent. */
  readonly reasons: number;
  /** The DP names a CRL issuer other than the certificate's issuer (an indirect CRL). */
  readonly hasCrlIssuer: boolean;
}

/**
 * IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL,
 *   onlyContainsUserCerts [1] BOOLEAN DEFAULT FALSE, onlyContainsCACerts [2] BOOLEAN DEFAULT FALSE,
 *   onlySomeReasons [3] ReasonFlags OPTIONAL, indirectCRL [4] BOOLEAN DEFAULT FALSE,
 *   onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
 * `value` is the extnValue octets, `crlIssuerName` the CRL issuer's Name (DER) for a name relative to it.
 * Throws DerFormatError for anything but that shape, an empty sequence (§5.2.5 forbids it) or two "only" flags.
 */
export function readIssuingDistributionPoint(value: Uint8Array, crlIssuerName: Uint8Array): IssuingDistributionPoint {
  const sequence = readWhole(value, TAG.SEQUENCE, 'issuingDistributionPoint');
  if (sequence.end === sequence.contentStart) derFail('issuingDistributionPoint is an empty SEQUENCE');
  const fields = new DerReader(value, sequence, 'issuingDistributionPoint');
  const point = fields.optional(contextConstructed(0), 'distributionPoint');
  const flag = (n: number, name: string): boolean => {
    const element = fields.optional(contextPrimitive(n), name);
    return element !== null && readBoolean(value, { ...element, tag: TAG.BOOLEAN });
  };
  const onlyUserCerts = flag(1, 'onlyContainsUserCerts');
  const onlyCaCerts = flag(2, 'onlyContainsCACerts');
  const reasonsElement = fields.optional(contextPrimitive(3), 'onlySomeReasons');
  const indirect = flag(4, 'indirectCRL');
  const onlyAttributeCerts = flag(5, 'onlyContainsAttributeCerts');
  fields.done();
  if ([onlyUserCerts, onlyCaCerts, onlyAttributeCerts].filter(Boolean).length > 1)
    derFail('issuingDistributionPoint asserts more than one "only contains" flag');
  return {
    names: point === null ? null : distributionPointNames(value, point, crlIssuerName),
    onlyUserCerts,
    onlyCaCerts,
    onlyAttributeCerts,
    indirect,
    reasons: reasonsElement === null ? ALL_REASONS : readReasons(value, reasonsElement),
  };
}

/**
 * CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
 * DistributionPoint ::= SEQUENCE { distributionPoint [0] DistributionPointName OPTIONAL, reasons [1] ReasonFlags
 *   OPTIONAL, cRLIssuer [2] GeneralNames OPTIONAL }
 * `issuerName` is the certificate's issuer Name (DER), which a name relative to the CRL issuer extends.
 */
export function readCrlDistributionPoints(value: Uint8Array, issuerName: Uint8Array): CertificateDistributionPoint[] {
  const list = elementsOf(
    value,
    readWhole(value, TAG.SEQUENCE, 'cRLDistributionPoints'),
    'cRLDistributionPoints',
    true,
  );
  if (list.length > MAX_DISTRIBUTION_POINTS) derFail(`more than ${MAX_DISTRIBUTION_POINTS} distribution points`);
  return list.map((element) => {
    if (element.tag !== TAG.SEQUENCE) derFail('DistributionPoint is not a SEQUENCE');
    const fields = new DerReader(value, element, 'DistributionPoint');
    const point = fields.optional(contextConstructed(0), 'distributionPoint');
    const reasons = fields.optional(contextPrimitive(1), 'reasons');
    const crlIssuer = fields.optional(contextConstructed(2), 'cRLIssuer');
    fields.done();
    if (crlIssuer !== null) generalNameKeys(value, crlIssuer);
    return {
      names: point === null ? null : distributionPointNames(value, point, issuerName),
      reasons: reasons === null ? ALL_REASONS : readReasons(value, reasons),
      hasCrlIssuer: crlIssuer !== null,
    };
  });
}

/** DistributionPointName ::= CHOICE { fullName [0] GeneralNames, nameRelativeToCRLIssuer [1] RelativeDistinguishedName } */
function distributionPointNames(bytes: Uint8Array, wrapper: DerElement, issuerName: Uint8Array): ReadonlySet<string> {
  const reader = new DerReader(bytes, wrapper, 'DistributionPointName');
  const choice = reader.any('DistributionPointName');
  reader.done();
  if (choice.tag === contextConstructed(0)) return generalNameKeys(bytes, choice);
  if (choice.tag === contextConstructed(1)) {
    checkWellFormed(bytes, { ...choice, tag: TAG.SET }, NAME_DEPTH);
    if (choice.end === choice.contentStart) derFail('nameRelativeToCRLIssuer is empty');
    return new Set([relativeNameKey(issuerName, contentOf(bytes, choice))]);
  }
  return derFail('DistributionPointName is neither fullName nor nameRelativeToCRLIssuer');
}

/** GeneralNames (implicitly tagged): each name's whole encoding is its key, so equal names encoded alike match. */
function generalNameKeys(bytes: Uint8Array, names: DerElement): ReadonlySet<string> {
  const elements = elementsOf(bytes, names, 'GeneralNames', true);
  if (elements.length > MAX_GENERAL_NAMES) derFail(`more than ${MAX_GENERAL_NAMES} names in a distribution point`);
  const keys = new Set<string>();
  for (const element of elements) {
    if ((element.tag & 0xc0) !== 0x80) derFail('GeneralName is not context-tagged');
    checkWellFormed(bytes, element, NAME_DEPTH);
    keys.add(Buffer.from(encodedOf(bytes, element)).toString('hex'));
  }
  return keys;
}

/**
 * The directoryName GeneralName a relative name stands for: the CRL issuer's Name with one more RDN (§4.2.1.13),
 * encoded as a fullName directoryName would be, so both forms of the same name get the same key.
 */
function relativeNameKey(issuerName: Uint8Array, rdnContent: Uint8Array): string {
  const issuer = readElementAt(issuerName, 0, issuerName.byteLength);
  const name = tlv(TAG.SEQUENCE, Buffer.concat([contentOf(issuerName, issuer), tlv(TAG.SET, rdnContent)]));
  return Buffer.from(tlv(contextConstructed(4), name)).toString('hex');
}

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const length = content.byteLength;
  const header =
    length < 0x80
      ? [tag, length]
      : length < 0x100
        ? [tag, 0x81, length]
        : length < 0x10000
          ? [tag, 0x82, length >> 8, length & 0xff]
          : [tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
  return Buffer.concat([Uint8Array.from(header), content]);
}

/** ReasonFlags, implicitly tagged: bit n (from the most significant bit of the first octet) → 1 << n. */
function readReasons(bytes: Uint8Array, element: DerElement): number {
  const bits = readBitString(bytes, { ...element, tag: TAG.BIT_STRING });
  if (bits.bytes.byteLength > 2) derFail('ReasonFlags names bits beyond aACompromise');
  let flags = 0;
  for (let bit = 0; bit < bits.bytes.byteLength * 8; bit += 1) {
    if (((bits.bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0) flags |= 1 << bit;
  }
  if (flags >= 1 << 9) derFail('ReasonFlags names bits beyond aACompromise');
  return flags & ALL_REASONS;
}

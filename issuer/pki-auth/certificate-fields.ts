// The fields of an X.509 certificate (RFC 5280 §4.1) that PKI-AUTH needs, read with the strict DER reader:
// serial number, names (as their DER bytes), validity, and the extensions. OpenSSL reads the same bytes for the
// key and every signature; this reader is the second, independent look that refuses what DER and RFC 5280 forbid.
import { readExtensions, checkName, type CertificateExtensions } from './certificate-extensions.ts';
import {
  DerReader,
  TAG,
  checkWellFormed,
  contextConstructed,
  contextPrimitive,
  derFail,
  encodedOf,
  readBitString,
  readIntegerBytes,
  readOid,
  readSmallInteger,
  readTime,
  readWhole,
  type DerElement,
} from '../der/strict-der.ts';
import { readPublicKeyInfo, type PublicKeyInfo } from '../der/public-key-info.ts';

export interface CertificateFields {
  /** 1, 2 or 3. */
  readonly version: number;
  /** INTEGER content octets of serialNumber. */
  readonly serialNumber: Uint8Array;
  /** DER of the issuer and subject Names. */
  readonly issuerName: Uint8Array;
  readonly subjectName: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly signatureAlgorithm: string;
  readonly publicKey: PublicKeyInfo;
  readonly extensions: CertificateExtensions;
}

/** Throws DerFormatError for anything that is not a well-formed DER certificate. */
export function readCertificateFields(der: Uint8Array): CertificateFields {
  const certificate = readWhole(der, TAG.SEQUENCE, 'certificate');
  const top = new DerReader(der, certificate, 'certificate');
  const tbs = top.next(TAG.SEQUENCE, 'tbsCertificate');
  const outerAlgorithm = top.next(TAG.SEQUENCE, 'signatureAlgorithm');
  readBitString(der, top.next(TAG.BIT_STRING, 'signatureValue'));
  top.done();
  const signatureAlgorithm = readAlgorithmIdentifier(der, outerAlgorithm);

  const fields = new DerReader(der, tbs, 'tbsCertificate');
  const version = readVersion(der, fields.optional(contextConstructed(0), 'version'));
  const serialNumber = readIntegerBytes(der, fields.next(TAG.INTEGER, 'serialNumber'));
  const innerAlgorithm = fields.next(TAG.SEQUENCE, 'signature');
  // RFC 5280 §4.1.1.2: the signed and the outer algorithm identifiers MUST be the same.
  if (!Buffer.from(encodedOf(der, innerAlgorithm)).equals(encodedOf(der, outerAlgorithm))) {
    derFail('the signed and the outer signature algorithms differ');
  }
  const issuer = fields.next(TAG.SEQUENCE, 'issuer');
  checkName(der, issuer);
  const validity = new DerReader(der, fields.next(TAG.SEQUENCE, 'validity'), 'validity');
  const notBefore = readTime(der, validity.any('notBefore'));
  const notAfter = readTime(der, validity.any('notAfter'));
  validity.done();
  const subject = fields.next(TAG.SEQUENCE, 'subject');
  checkName(der, subject);
  const publicKey = readPublicKeyInfo(der, fields.next(TAG.SEQUENCE, 'subjectPublicKeyInfo'));
  const issuerUniqueId = fields.optional(contextPrimitive(1), 'issuerUniqueID');
  const subjectUniqueId = fields.optional(contextPrimitive(2), 'subjectUniqueID');
  const extensions = fields.optional(contextConstructed(3), 'extensions');
  fields.done();
  if ((issuerUniqueId !== null || subjectUniqueId !== null) && version < 2)
    derFail('unique identifiers in a version 1 certificate');
  if (extensions !== null && version !== 3) derFail('extensions in a certificate that is not version 3');
  return {
    version,
    serialNumber,
    notBefore,
    notAfter,
    signatureAlgorithm,
    publicKey,
    issuerName: encodedOf(der, issuer),
    subjectName: encodedOf(der, subject),
    extensions: readExtensions(der, extensions),
  };
}

/** [0] EXPLICIT Version DEFAULT v1: absent means v1; an explicit v1 is not DER. */
function readVersion(der: Uint8Array, wrapper: DerElement | null): number {
  if (wrapper === null) return 1;
  const reader = new DerReader(der, wrapper, 'version');
  const value = readSmallInteger(der, reader.next(TAG.INTEGER, 'version'), 2);
  reader.done();
  if (value === 0) derFail('version v1 encoded explicitly (DER omits the default)');
  return value + 1;
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }. Returns the OID. */
export function readAlgorithmIdentifier(der: Uint8Array, element: DerElement): string {
  const reader = new DerReader(der, element, 'AlgorithmIdentifier');
  const oid = readOid(der, reader.next(TAG.OID, 'algorithm'));
  if (!reader.atEnd) checkWellFormed(der, reader.any('parameters'), 4);
  reader.done();
  return oid;
}

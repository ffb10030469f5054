// The two things a CRL lookup needs from a stored card certificate — its issuer Name and serial — read with the
// strict DER reader without parsing the rest: a few microseconds, where a full parse costs ~100 µs, which is
// 100 s over a million cards. The certificate was fully validated when the card signed in (PKI-AUTH).
import { canonicalIntegerHex } from '../der/integer.ts';
import { DerReader, TAG, contextConstructed, encodedOf, readIntegerBytes, readWhole } from '../der/strict-der.ts';

export interface CardCertificateKeys {
  /** DER of the issuer Name, as hex: the key of the issuing CA certificates by subject. */
  readonly issuerNameHex: string;
  /** Canonical two's-complement hex (../der/integer.ts), the key of CRL entries. */
  readonly serialHex: string;
}

/** Throws DerFormatError when the stored bytes are not a certificate. */
export function readCardCertificateKeys(der: Uint8Array): CardCertificateKeys {
  const certificate = readWhole(der, TAG.SEQUENCE, 'certificate');
  const tbs = new DerReader(
    der,
    new DerReader(der, certificate, 'certificate').next(TAG.SEQUENCE, 'tbsCertificate'),
    'tbsCertificate',
  );
  tbs.optional(contextConstructed(0), 'version');
  const serial = readIntegerBytes(der, tbs.next(TAG.INTEGER, 'serialNumber'));
  tbs.next(TAG.SEQUENCE, 'signature');
  const issuer = tbs.next(TAG.SEQUENCE, 'issuer');
  return { issuerNameHex: Buffer.from(encodedOf(der, issuer)).toString('hex'), serialHex: canonicalIntegerHex(serial) };
}

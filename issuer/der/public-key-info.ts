// What kind of key a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) holds, read from its DER: the algorithm, the named
// curve of an EC key, the modulus size of an RSA key. The key itself is always imported by OpenSSL; this is the
// cheap look that decides whether the key is one we accept at all (OpenSSL's asymmetricKeyDetails costs more than
// the rest of the strict read put together).
import {
  DerReader,
  TAG,
  checkWellFormed,
  derFail,
  readBitString,
  readIntegerBytes,
  readOid,
  readWhole,
  type DerElement,
} from './strict-der.ts';

export const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
export const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const CURVE_P256 = '1.2.840.10045.3.1.7';
export const CURVE_P384 = '1.3.132.0.34';

export interface PublicKeyInfo {
  /** The algorithm OID. */
  readonly algorithm: string;
  /** For id-ecPublicKey with a namedCurve parameter: the curve OID. */
  readonly namedCurve: string | null;
  /** For rsaEncryption: the modulus size in bits. */
  readonly rsaModulusBits: number | null;
  /** For rsaEncryption: modulus and public exponent, big-endian magnitudes (no sign byte). */
  readonly rsa: { readonly modulus: Uint8Array; readonly publicExponent: Uint8Array } | null;
  /** The subjectPublicKey BIT STRING's bytes (for an EC key, the encoded point). */
  readonly subjectPublicKey: Uint8Array;
  /** DER of the whole SubjectPublicKeyInfo. */
  readonly der: Uint8Array;
}

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }. */
export function readPublicKeyInfo(bytes: Uint8Array, element: DerElement): PublicKeyInfo {
  const fields = new DerReader(bytes, element, 'subjectPublicKeyInfo');
  const algorithmIdentifier = new DerReader(bytes, fields.next(TAG.SEQUENCE, 'algorithm'), 'AlgorithmIdentifier');
  const algorithm = readOid(bytes, algorithmIdentifier.next(TAG.OID, 'algorithm'));
  const parameters = algorithmIdentifier.atEnd ? null : algorithmIdentifier.any('parameters');
  algorithmIdentifier.done();
  if (parameters !== null) checkWellFormed(bytes, parameters, 8);
  const key = readBitString(bytes, fields.next(TAG.BIT_STRING, 'subjectPublicKey'));
  fields.done();
  const namedCurve = algorithm === EC_PUBLIC_KEY && parameters?.tag === TAG.OID ? readOid(bytes, parameters) : null;
  const rsa = algorithm === RSA_ENCRYPTION ? rsaPublicKey(key.bytes, key.unusedBits) : null;
  return {
    algorithm,
    namedCurve,
    rsaModulusBits: rsa === null ? null : bitLength(rsa.modulus),
    rsa,
    subjectPublicKey: key.bytes,
    der: bytes.subarray(element.start, element.end),
  };
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1), inside the BIT STRING. */
function rsaPublicKey(keyBytes: Uint8Array, unusedBits: number): { modulus: Uint8Array; publicExponent: Uint8Array } {
  if (unusedBits !== 0) derFail('RSA public key BIT STRING with unused bits');
  const sequence = readWhole(keyBytes, TAG.SEQUENCE, 'RSAPublicKey');
  const fields = new DerReader(keyBytes, sequence, 'RSAPublicKey');
  const modulus = readIntegerBytes(keyBytes, fields.next(TAG.INTEGER, 'modulus'));
  const publicExponent = readIntegerBytes(keyBytes, fields.next(TAG.INTEGER, 'publicExponent'));
  fields.done();
  if (((modulus[0] ?? 0) & 0x80) !== 0) derFail('negative RSA modulus');
  if (((publicExponent[0] ?? 0) & 0x80) !== 0) derFail('negative RSA public exponent');
  return { modulus: magnitudeOf(modulus), publicExponent: magnitudeOf(publicExponent) };
}

/** A non-negative DER INTEGER's content without its sign byte. */
const magnitudeOf = (content: Uint8Array): Uint8Array =>
  content[0] === 0 && content.byteLength > 1 ? content.subarray(1) : content;

function bitLength(magnitude: Uint8Array): number {
  const leading = magnitude[0] ?? 0;
  return leading === 0 ? 0 : (magnitude.byteLength - 1) * 8 + (32 - Math.clz32(leading));
}

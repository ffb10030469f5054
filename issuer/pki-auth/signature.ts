// The card's proof of possession: a signature over the issuer's challenge with the PIV Authentication key.
// Project convention: the card signs the raw challenge hashed with SHA-256 (RSA-2048 PKCS#1 v1.5, ECDSA P-256)
// or SHA-384 (ECDSA P-384); ECDSA signatures are DER-encoded.
import { verify, type KeyObject } from 'node:crypto';
import type { ParsedCertificate } from './parsed-certificate.ts';
import { CURVE_P256, CURVE_P384, EC_PUBLIC_KEY, RSA_ENCRYPTION, type PublicKeyInfo } from '../der/public-key-info.ts';

export type CardKeyAlgorithm = 'RSA-2048' | 'P-256' | 'P-384';

export const MAX_CHALLENGE_BYTES = 1024;
/** RSA-2048 gives 256 bytes, a DER ECDSA P-384 signature at most 104. */
export const MAX_SIGNATURE_BYTES = 512;

export type KeyResult = { ok: true; algorithm: CardKeyAlgorithm; key: KeyObject } | { ok: false; message: string };

/**
 * Accepts only the algorithms PIV Authentication keys use here. The decision is made on the strict DER reading of
 * the SubjectPublicKeyInfo, and OpenSSL's key (read from the same bytes when the certificate was parsed) must be
 * of the same type; OpenSSL's costlier key details are only asked for to describe a refused key.
 */
export function cardPublicKey(certificate: ParsedCertificate): KeyResult {
  const key = certificate.publicKey;
  const algorithm = acceptedAlgorithm(certificate.fields.publicKey);
  if (algorithm !== null && key.asymmetricKeyType === (algorithm === 'RSA-2048' ? 'rsa' : 'ec')) return { ok: true, algorithm, key };
  const details = key.asymmetricKeyDetails;
  const described = key.asymmetricKeyType === 'rsa' ? `RSA-${details?.modulusLength ?? '?'}` : `${key.asymmetricKeyType ?? 'unknown'} ${details?.namedCurve ?? ''}`.trim();
  return { ok: false, message: `unsupported PIV Authentication key ${described}: only RSA-2048, P-256 and P-384 are accepted` };
}

function acceptedAlgorithm(info: PublicKeyInfo): CardKeyAlgorithm | null {
  if (info.algorithm === RSA_ENCRYPTION && info.rsaModulusBits === 2048) return 'RSA-2048';
  if (info.algorithm === EC_PUBLIC_KEY && info.namedCurve === CURVE_P256) return 'P-256';
  if (info.algorithm === EC_PUBLIC_KEY && info.namedCurve === CURVE_P384) return 'P-384';
  return null;
}

export function verifyChallengeSignature(challenge: Uint8Array, signature: Uint8Array, algorithm: CardKeyAlgorithm, key: KeyObject): boolean {
  if (challenge.byteLength === 0 || challenge.byteLength > MAX_CHALLENGE_BYTES) return false;
  if (signature.byteLength === 0 || signature.byteLength > MAX_SIGNATURE_BYTES) return false;
  const hash = algorithm === 'P-384' ? 'sha384' : 'sha256';
  try {
    if (algorithm === 'RSA-2048') return verify(hash, challenge, key, signature);
    return verify(hash, challenge, { key, dsaEncoding: 'der' }, signature);
  } catch {
    // Malformed DER in an ECDSA signature makes OpenSSL throw rather than answer false; both mean "not valid".
    return false;
  }
}

// The card's proof of possession: a signature over the issuer's challenge with the PIV Authentication key.
// Project convention: the card signs the raw challenge hashed with SHA-256 (RSA-2048 PKCS#1 v1.5, ECDSA P-256)
// or SHA-384 (ECDSA P-384); ECDSA signatures are DER-encoded.
import { verify, type KeyObject } from 'node:crypto';
import type { ParsedCertificate } from './parsed-certificate.ts';

export type CardKeyAlgorithm = 'RSA-2048' | 'P-256' | 'P-384';

export const MAX_CHALLENGE_BYTES = 1024;
/** RSA-2048 gives 256 bytes, a DER ECDSA P-384 signature at most 104. */
export const MAX_SIGNATURE_BYTES = 512;

export type KeyResult = { ok: true; algorithm: CardKeyAlgorithm; key: KeyObject } | { ok: false; message: string };

/** Reads the subject public key and accepts only the algorithms PIV Authentication keys use here. */
export function cardPublicKey(certificate: ParsedCertificate): KeyResult {
  const key = certificate.publicKey; // read once by OpenSSL when the certificate was parsed
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && details?.modulusLength === 2048) return { ok: true, algorithm: 'RSA-2048', key };
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return { ok: true, algorithm: 'P-256', key };
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'secp384r1') return { ok: true, algorithm: 'P-384', key };
  const described = key.asymmetricKeyType === 'rsa' ? `RSA-${details?.modulusLength ?? '?'}` : `${key.asymmetricKeyType ?? 'unknown'} ${details?.namedCurve ?? ''}`.trim();
  return { ok: false, message: `unsupported PIV Authentication key ${described}: only RSA-2048, P-256 and P-384 are accepted` };
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

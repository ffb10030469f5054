// The card's proof of possession: a signature with the PIV Authentication key over the PKI-AUTH message
// (contracts/pki-auth-message.ts: context string, the issuer's nonce, the kiosk's nonce), hashed with SHA-256
// (RSA-2048 PKCS#1 v1.5, ECDSA P-256) or SHA-384 (ECDSA P-384); ECDSA signatures are DER-encoded. A signature over
// anything else — the raw challenge included — does not verify.
import { verify, type KeyObject } from 'node:crypto';
import { pkiAuthMessage } from '../../contracts/pki-auth-message.ts';
import type { ParsedCertificate } from './parsed-certificate.ts';
import { CURVE_P256, CURVE_P384, EC_PUBLIC_KEY, RSA_ENCRYPTION, type PublicKeyInfo } from '../der/public-key-info.ts';

export type CardKeyAlgorithm = 'RSA-2048' | 'P-256' | 'P-384';

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
  if (algorithm !== null && key.asymmetricKeyType === (algorithm === 'RSA-2048' ? 'rsa' : 'ec'))
    return { ok: true, algorithm, key };
  const details = key.asymmetricKeyDetails;
  const described =
    key.asymmetricKeyType === 'rsa'
      ? `RSA-${details?.modulusLength ?? '?'}`
      : `${key.asymmetricKeyType ?? 'unknown'} ${details?.namedCurve ?? ''}`.trim();
  return {
    ok: false,
    message: `unsupported PIV Authentication key ${described}: only RSA-2048, P-256 and P-384 are accepted`,
  };
}

function acceptedAlgorithm(info: PublicKeyInfo): CardKeyAlgorithm | null {
  if (info.algorithm === RSA_ENCRYPTION && info.rsaModulusBits === 2048) return 'RSA-2048';
  if (info.algorithm === EC_PUBLIC_KEY && info.namedCurve === CURVE_P256) return 'P-256';
  if (info.algorithm === EC_PUBLIC_KEY && info.namedCurve === CURVE_P384) return 'P-384';
  return null;
}

/** The two nonces of one PKI-AUTH exchange: the issuer's challenge and the kiosk's own. */
export interface PkiAuthNonces {
  readonly issuerNonce: Uint8Array;
  readonly kioskNonce: Uint8Array;
}

/** True only for a signature over exactly pkiAuthMessage(issuerNonce, kioskNonce); nonces of another length fail. */
export function verifyChallengeSignature(
  nonces: PkiAuthNonces,
  signature: Uint8Array,
  algorithm: CardKeyAlgorithm,
  key: KeyObject,
): boolean {
  const built = pkiAuthMessage(nonces.issuerNonce, nonces.kioskNonce);
  if (!built.ok) return false;
  if (signature.byteLength === 0 || signature.byteLength > MAX_SIGNATURE_BYTES) return false;
  const hash = algorithm === 'P-384' ? 'sha384' : 'sha256';
  try {
    if (algorithm === 'RSA-2048') return verify(hash, built.message, key, signature);
    return verify(hash, built.message, { key, dsaEncoding: 'der' }, signature);
  } catch {
    // Malformed DER in an ECDSA signature makes OpenSSL throw rather than answer false; both mean "not valid".
    return false;
  }
}

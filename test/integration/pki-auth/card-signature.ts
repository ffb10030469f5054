// Signing as a card does in PKI-AUTH, for tests and benchmarks that hold the card's private key: the message is
// pkiAuthMessage(issuerNonce, kioskNonce) (contracts/pki-auth-message.ts), hashed with SHA-256 (SHA-384 for P-384),
// RSA PKCS#1 v1.5 or ECDSA DER.
import { randomBytes, sign as nodeSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { PKI_AUTH_KIOSK_NONCE_BYTES, pkiAuthMessage } from '../../../contracts/pki-auth-message.ts';

/** The card's signature over any `message` (no PKI-AUTH framing): what an old kiosk or a signing oracle made. */
export function signAsCard(key: KeyObject, keyAlgorithm: string, message: Uint8Array): Uint8Array {
  const hash = keyAlgorithm === 'P-384' ? 'sha384' : 'sha256';
  return new Uint8Array(
    keyAlgorithm === 'RSA-2048' ? nodeSign(hash, message, key) : nodeSign(hash, message, { key, dsaEncoding: 'der' }),
  );
}

/** The to-be-signed PKI-AUTH bytes; throws on nonces of the wrong length (tests that want that call the contract). */
export function pkiAuthMessageBytes(issuerNonce: Uint8Array, kioskNonce: Uint8Array): Uint8Array {
  const built = pkiAuthMessage(issuerNonce, kioskNonce);
  if (!built.ok) throw new Error(built.reason);
  return built.message;
}

export const newKioskNonce = (): Uint8Array => new Uint8Array(randomBytes(PKI_AUTH_KIOSK_NONCE_BYTES));

/** A kiosk's PKI-AUTH answer to `issuerNonce`: a fresh kiosk nonce and the card's signature over the message. */
export function signPkiAuth(
  key: KeyObject,
  keyAlgorithm: string,
  issuerNonce: Uint8Array,
): { kioskNonce: Uint8Array; signature: Uint8Array } {
  const kioskNonce = newKioskNonce();
  return { kioskNonce, signature: signAsCard(key, keyAlgorithm, pkiAuthMessageBytes(issuerNonce, kioskNonce)) };
}

// The card's step of PKI-AUTH, played with the ICAM test card's published private key (the card builder's `.p12`,
// empty password). This is the ONE place the conformance suites make a card signature: when what the card signs
// changes (e.g. a protocol-bound nonce instead of the raw challenge), only this function follows.
//
// The `.p12` files use RC2-40 for their certificate bags, which OpenSSL 3 reads only with its legacy provider;
// node:crypto cannot read PKCS#12 at all, so the real `openssl pkcs12` is asked for the key (PEM on stdout).
import { createPrivateKey, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { PKI_AUTH_KIOSK_NONCE_BYTES, pkiAuthMessage } from '../../contracts/pki-auth-message.ts';

export function privateKeyFromP12(p12File: string): KeyObject {
  const pem = execFileSync('openssl', ['pkcs12', '-legacy', '-in', p12File, '-nocerts', '-nodes', '-passin', 'pass:'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return createPrivateKey(pem);
}

/**
 * The card's PKI-AUTH answer to the issuer's challenge, as the kiosk has it made: a fresh kiosk nonce, and the PIV
 * Authentication key's signature over pkiAuthMessage(challenge, kioskNonce) (contracts/pki-auth-message.ts), SHA-256
 * (SHA-384 for P-384), ECDSA signatures DER-encoded.
 */
export function cardSignsChallenge(
  key: KeyObject,
  challenge: Uint8Array,
): { kioskNonce: Uint8Array; signature: Uint8Array } {
  const kioskNonce = new Uint8Array(randomBytes(PKI_AUTH_KIOSK_NONCE_BYTES));
  const built = pkiAuthMessage(challenge, kioskNonce);
  if (!built.ok) throw new Error(built.reason);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const hash = curve === 'secp384r1' ? 'sha384' : 'sha256';
  const signature =
    key.asymmetricKeyType === 'ec'
      ? nodeSign(hash, built.message, { key, dsaEncoding: 'der' })
      : nodeSign(hash, built.message, key);
  return { kioskNonce, signature: new Uint8Array(signature) };
}

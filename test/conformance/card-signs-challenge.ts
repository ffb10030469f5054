// The card's step of PKI-AUTH, played with the ICAM test card's published private key (the card builder's `.p12`,
// empty password). This is the ONE place the conformance suites make a card signature: when what the card signs
// changes (e.g. a protocol-bound nonce instead of the raw challenge), only this function follows.
//
// The `.p12` files use RC2-40 for their certificate bags, which OpenSSL 3 reads only with its legacy provider;
// node:crypto cannot read PKCS#12 at all, so the real `openssl pkcs12` is asked for the key (PEM on stdout).
import { createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';

export function privateKeyFromP12(p12File: string): KeyObject {
  const pem = execFileSync('openssl', ['pkcs12', '-legacy', '-in', p12File, '-nocerts', '-nodes', '-passin', 'pass:'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return createPrivateKey(pem);
}

/**
 * The card signs the issuer's challenge with its PIV Authentication key as the kiosk has it do (project convention:
 * SHA-256 over the raw challenge, SHA-384 for P-384; ECDSA signatures DER-encoded).
 */
export function cardSignsChallenge(key: KeyObject, challenge: Uint8Array): Uint8Array {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const hash = curve === 'secp384r1' ? 'sha384' : 'sha256';
  if (key.asymmetricKeyType === 'ec') return new Uint8Array(nodeSign(hash, challenge, { key, dsaEncoding: 'der' }));
  return new Uint8Array(nodeSign(hash, challenge, key));
}

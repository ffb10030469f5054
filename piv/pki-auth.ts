/**
 * PKI-AUTH (SP 800-116): the card signs with the PIV Authentication key (9A), and the host checks the
 * signature against the 9A certificate before anyone else relies on it.
 * What is signed is never the issuer's challenge itself: it is pkiAuthMessage(challenge, kioskNonce)
 * (contracts/pki-auth-message.ts: a context string, the issuer's 32-byte nonce, a fresh 32-byte kiosk
 * nonce), which the host hashes (SHA-256; SHA-384 for P-384) and the card signs; RSA is PKCS#1 v1.5,
 * ECDSA signatures are DER. A challenge of any other length is refused before the card is touched.
 */
import { constants, randomBytes, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  PKI_AUTH_ISSUER_NONCE_BYTES,
  PKI_AUTH_KIOSK_NONCE_BYTES,
  pkiAuthMessage,
} from '../contracts/pki-auth-message.ts';
import type { CertificateSummary } from '../contracts/card.ts';
import { keyAlgorithmOf, parseCertificate } from './certificate-summary.ts';
import { PivError } from './errors.ts';
import type { KeyAlgorithm, PivCard } from './piv-card.ts';
import { verifyPinSafely } from './pin-policy.ts';
import type { VerifyPinOptions } from './pin-policy.ts';
import { HASH_OF } from './signing-input.ts';

export interface PkiAuthSignature {
  /** Raw RSA signature (256 bytes) or DER ECDSA signature over pkiAuthMessage(challenge, kioskNonce). */
  readonly signature: Uint8Array;
  /** The kiosk's nonce, fresh for this signature: the issuer needs it to rebuild the signed message. */
  readonly kioskNonce: Uint8Array;
}

export interface SignedChallenge extends PkiAuthSignature {
  /** The 9A certificate (decompressed DER) whose key made the signature. */
  readonly certificateDer: Uint8Array;
  readonly certificate: CertificateSummary;
  readonly algorithm: KeyAlgorithm;
  /** The signature verified against the certificate's public key. */
  readonly verified: boolean;
}

function messageFor(challenge: Uint8Array, kioskNonce: Uint8Array): Uint8Array {
  const built = pkiAuthMessage(challenge, kioskNonce);
  if (!built.ok) throw new PivError('invalid-argument', built.reason);
  return built.message;
}

/** Checks a PKI-AUTH signature made under the construction above (false for nonces of the wrong length too). */
export function verifyChallengeSignature(
  publicKey: KeyObject,
  algorithm: KeyAlgorithm,
  nonces: { challenge: Uint8Array; kioskNonce: Uint8Array },
  signature: Uint8Array,
): boolean {
  const built = pkiAuthMessage(nonces.challenge, nonces.kioskNonce);
  if (!built.ok) return false;
  const key =
    algorithm === 'RSA-2048'
      ? { key: publicKey, padding: constants.RSA_PKCS1_PADDING }
      : { key: publicKey, dsaEncoding: 'der' as const };
  return verify(HASH_OF[algorithm], built.message, key, signature);
}

/**
 * The card half of PKI-AUTH on a card whose PIN is already verified: a fresh kiosk nonce, the message built
 * from it and the issuer's `challenge` (refused with 'invalid-argument' unless it is exactly 32 bytes), signed
 * with 9A. `algorithm` is the 9A key's (from its certificate). `kioskNonce` is for diagnostics that compare two
 * signing paths (`dck card sign --kiosk-nonce`); the kiosk always lets it be fresh.
 */
export async function signPkiAuthChallenge(
  card: PivCard,
  algorithm: KeyAlgorithm,
  challenge: Uint8Array,
  kioskNonce: Uint8Array = new Uint8Array(randomBytes(PKI_AUTH_KIOSK_NONCE_BYTES)),
): Promise<PkiAuthSignature> {
  const message = messageFor(challenge, kioskNonce);
  return { signature: await card.sign('9A', algorithm, message), kioskNonce };
}

function failedPin(outcome: 'wrong' | 'blocked' | 'last-try-refused', triesLeft?: number): PivError {
  if (outcome === 'wrong') return new PivError('wrong-pin', `wrong PIN: ${triesLeft ?? 0} tries left`, { triesLeft });
  if (outcome === 'blocked') return new PivError('pin-blocked', 'the PIN is blocked');
  return new PivError('last-try-refused', 'only one PIN try is left; not sent');
}

/**
 * PKI-AUTH with key 9A over the issuer's `challenge` (see signPkiAuthChallenge). When `pin` is given it is verified first (safely, see
 * verifyPinSafely) and TAKEN OVER: zero-filled before this settles. Without a PIN the card must
 * already be verified (or the call rejects with 'security-status').
 */
export async function signChallenge(
  card: PivCard,
  challenge: Uint8Array,
  pin?: Uint8Array,
  options: VerifyPinOptions & { readonly kioskNonce?: Uint8Array } = {},
): Promise<SignedChallenge> {
  try {
    // Refused before the PIN or the card are touched.
    if (challenge.byteLength !== PKI_AUTH_ISSUER_NONCE_BYTES) {
      throw new PivError(
        'invalid-argument',
        `the challenge must be ${PKI_AUTH_ISSUER_NONCE_BYTES} bytes, not ${challenge.byteLength}`,
      );
    }
    const { der: certificateDer } = await card.readCertificate('9A');
    const { summary, publicKey } = parseCertificate(certificateDer);
    const algorithm = keyAlgorithmOf(summary);
    if (pin !== undefined) {
      const result = await verifyPinSafely(card, pin, options);
      if (result.outcome !== 'correct')
        throw failedPin(result.outcome, result.outcome === 'wrong' ? result.triesLeft : undefined);
    }
    const { signature, kioskNonce } = await signPkiAuthChallenge(card, algorithm, challenge, options.kioskNonce);
    const verified = verifyChallengeSignature(publicKey, algorithm, { challenge, kioskNonce }, signature);
    return { signature, kioskNonce, certificateDer, certificate: summary, algorithm, verified };
  } finally {
    pin?.fill(0);
  }
}

/**
 * PKI-AUTH (SP 800-116): the card signs a challenge with the PIV Authentication key (9A), and the
 * host checks the signature against the 9A certificate before anyone else relies on it.
 * Convention for the whole project: the signed message is the raw challenge; RSA-2048 and P-256
 * sign its SHA-256, P-384 its SHA-384; RSA is PKCS#1 v1.5, ECDSA signatures are DER.
 */
import { constants, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CertificateSummary } from '../contracts/card.ts';
import { keyAlgorithmOf, parseCertificate } from './certificate-summary.ts';
import { PivError } from './errors.ts';
import type { KeyAlgorithm, PivCard } from './piv-card.ts';
import { verifyPinSafely } from './pin-policy.ts';
import type { VerifyPinOptions } from './pin-policy.ts';
import { HASH_OF } from './signing-input.ts';

export const MAX_CHALLENGE_BYTES = 4096;

export interface SignedChallenge {
  /** Raw RSA signature (256 bytes) or DER ECDSA signature. */
  readonly signature: Uint8Array;
  /** The 9A certificate (decompressed DER) whose key made the signature. */
  readonly certificateDer: Uint8Array;
  readonly certificate: CertificateSummary;
  readonly algorithm: KeyAlgorithm;
  /** The signature verified against the certificate's public key. */
  readonly verified: boolean;
}

/** Checks a signature made under the project convention above. */
export function verifyChallengeSignature(publicKey: KeyObject, algorithm: KeyAlgorithm, challenge: Uint8Array, signature: Uint8Array): boolean {
  const key = algorithm === 'RSA-2048'
    ? { key: publicKey, padding: constants.RSA_PKCS1_PADDING }
    : { key: publicKey, dsaEncoding: 'der' as const };
  return verify(HASH_OF[algorithm], challenge, key, signature);
}

function failedPin(outcome: 'wrong' | 'blocked' | 'last-try-refused', triesLeft?: number): PivError {
  if (outcome === 'wrong') return new PivError('wrong-pin', `wrong PIN: ${triesLeft ?? 0} tries left`, { triesLeft });
  if (outcome === 'blocked') return new PivError('pin-blocked', 'the PIN is blocked');
  return new PivError('last-try-refused', 'only one PIN try is left; not sent');
}

/**
 * Signs `challenge` with key 9A. When `pin` is given it is verified first (safely, see
 * verifyPinSafely) and TAKEN OVER: zero-filled before this settles. Without a PIN the card must
 * already be verified (or the call rejects with 'security-status').
 */
export async function signChallenge(card: PivCard, challenge: Uint8Array, pin?: Uint8Array, options: VerifyPinOptions = {}): Promise<SignedChallenge> {
  try {
    if (challenge.length === 0 || challenge.length > MAX_CHALLENGE_BYTES) {
      throw new PivError('invalid-argument', `challenge must be 1 to ${MAX_CHALLENGE_BYTES} bytes`);
    }
    const { der: certificateDer } = await card.readCertificate('9A');
    const { summary, publicKey } = parseCertificate(certificateDer);
    const algorithm = keyAlgorithmOf(summary);
    if (pin !== undefined) {
      const result = await verifyPinSafely(card, pin, options);
      if (result.outcome !== 'correct') throw failedPin(result.outcome, result.outcome === 'wrong' ? result.triesLeft : undefined);
    }
    const signature = await card.sign('9A', algorithm, challenge);
    const verified = verifyChallengeSignature(publicKey, algorithm, challenge, signature);
    return { signature, certificateDer, certificate: summary, algorithm, verified };
  } finally {
    pin?.fill(0);
  }
}

/**
 * What the host sends to GENERAL AUTHENTICATE for a signature (SP 800-73-4 Part 2 §3.2.4,
 * SP 800-78-4): the card does raw RSA or ECDSA on a prepared input, the host hashes.
 * Project convention: RSA-2048 and P-256 sign SHA-256 of the message, P-384 signs SHA-384.
 */
import { createHash } from 'node:crypto';
import { PivError } from './errors.ts';

export type KeyAlgorithm = 'RSA-2048' | 'ECC-P256' | 'ECC-P384';

/** SP 800-78-4 Table 6-2 algorithm identifiers (P1 of GENERAL AUTHENTICATE). */
export const ALGORITHM_ID: Readonly<Record<KeyAlgorithm, number>> = {
  'RSA-2048': 0x07,
  'ECC-P256': 0x11,
  'ECC-P384': 0x14,
};

export const HASH_OF: Readonly<Record<KeyAlgorithm, 'sha256' | 'sha384'>> = {
  'RSA-2048': 'sha256',
  'ECC-P256': 'sha256',
  'ECC-P384': 'sha384',
};

/** DER of DigestInfo { AlgorithmIdentifier sha256 NULL, OCTET STRING (32) } without the digest. */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');
const RSA_2048_BYTES = 256;

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2): 00 01 FF…FF 00 DigestInfo, the size of the modulus. */
export function pkcs1v15Block(sha256Digest: Uint8Array): Uint8Array {
  if (sha256Digest.length !== 32) throw new PivError('invalid-argument', 'SHA-256 digest must be 32 bytes');
  const digestInfoLength = SHA256_DIGEST_INFO_PREFIX.length + sha256Digest.length;
  const block = new Uint8Array(RSA_2048_BYTES).fill(0xff);
  block[0] = 0x00;
  block[1] = 0x01;
  const separator = RSA_2048_BYTES - digestInfoLength - 1;
  block[separator] = 0x00;
  block.set(SHA256_DIGEST_INFO_PREFIX, separator + 1);
  block.set(sha256Digest, separator + 1 + SHA256_DIGEST_INFO_PREFIX.length);
  return block;
}

/** The bytes the card must transform to sign `message` with a key of `algorithm`. */
export function signingInput(algorithm: KeyAlgorithm, message: Uint8Array): Uint8Array {
  const digest = new Uint8Array(createHash(HASH_OF[algorithm]).update(message).digest());
  return algorithm === 'RSA-2048' ? pkcs1v15Block(digest) : digest;
}

/**
 * The card's private-key operations for GENERAL AUTHENTICATE:
 * - RSA: the raw private-key operation on a modulus-sized block (the host did the padding);
 * - ECDSA: a signature over the hash the host sends, returned DER (SEQUENCE { r, s }).
 * Node's sign() always hashes its input, so ECDSA on a given hash is done here: R = kG through
 * ECDH (k as a private key, kG as its public key), then r and s with BigInt arithmetic mod n.
 */
import { constants, createECDH, createPrivateKey, privateDecrypt, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CardKeyAlgorithm } from './test-pki.ts';

/** SP 800-78-4 algorithm identifiers used in GENERAL AUTHENTICATE P1 and the APT. */
export const PIV_ALGORITHM_ID: Readonly<Record<CardKeyAlgorithm, number>> = {
  'RSA-2048': 0x07,
  'P-256': 0x11,
  'P-384': 0x14,
};

export type KeyOperationResult =
  { readonly ok: true; readonly value: Uint8Array } | { readonly ok: false; readonly reason: 'bad-data' };

export interface CardKey {
  readonly keyAlgorithm: CardKeyAlgorithm;
  readonly algorithmId: number;
  /** Challenge → RSA raw result or ECDSA DER signature; 'bad-data' for a block of the wrong size or value. */
  operate(challenge: Uint8Array): KeyOperationResult;
}

interface CurveParameters {
  readonly ecdhName: string;
  readonly n: bigint;
  readonly byteLength: number;
}

const CURVES: Readonly<Record<'P-256' | 'P-384', CurveParameters>> = {
  'P-256': {
    ecdhName: 'prime256v1',
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    byteLength: 32,
  },
  'P-384': {
    ecdhName: 'secp384r1',
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    byteLength: 48,
  },
};

export function cardKeyFromPkcs8(pkcs8: Uint8Array, keyAlgorithm: CardKeyAlgorithm): CardKey {
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  const algorithmId = PIV_ALGORITHM_ID[keyAlgorithm];
  if (keyAlgorithm === 'RSA-2048') return { keyAlgorithm, algorithmId, operate: (challenge) => rawRsa(key, challenge) };
  const curve = CURVES[keyAlgorithm];
  const d = privateScalar(key);
  return { keyAlgorithm, algorithmId, operate: (challenge) => ecdsaOnHash(curve, d, challenge) };
}

function rawRsa(key: KeyObject, block: Uint8Array): KeyOperationResult {
  if (block.length !== 256) return { ok: false, reason: 'bad-data' };
  try {
    return { ok: true, value: new Uint8Array(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, block)) };
  } catch (error) {
    // OpenSSL refuses a block numerically >= the modulus: that is the host's bad data, not our fault.
    if (error instanceof Error) return { ok: false, reason: 'bad-data' };
    throw error;
  }
}

function privateScalar(key: KeyObject): bigint {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.d !== 'string') throw new Error('card-keys: EC private key without d');
  return bytesToBigInt(Buffer.from(jwk.d, 'base64url'));
}

function ecdsaOnHash(curve: CurveParameters, d: bigint, hash: Uint8Array): KeyOperationResult {
  if (hash.length === 0 || hash.length > 64) return { ok: false, reason: 'bad-data' };
  const e = truncatedHash(hash, curve);
  for (;;) {
    const k = (bytesToBigInt(randomBytes(curve.byteLength + 8)) % (curve.n - 1n)) + 1n;
    const ecdh = createECDH(curve.ecdhName);
    ecdh.setPrivateKey(bigIntToBytes(k, curve.byteLength));
    const point = ecdh.getPublicKey(); // 04 || X || Y
    const r = bytesToBigInt(point.subarray(1, 1 + curve.byteLength)) % curve.n;
    if (r === 0n) continue;
    const s = (modInverse(k, curve.n) * ((e + r * d) % curve.n)) % curve.n;
    if (s === 0n) continue;
    return { ok: true, value: derSignature(r, s) };
  }
}

/** FIPS 186-4: use the leftmost bitlen(n) bits of the hash. */
function truncatedHash(hash: Uint8Array, curve: CurveParameters): bigint {
  const value = bytesToBigInt(hash);
  const excessBits = hash.length * 8 - curve.byteLength * 8;
  return excessBits > 0 ? value >> BigInt(excessBits) : value;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

function derSignature(r: bigint, s: bigint): Uint8Array {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  const length = body.length < 0x80 ? Buffer.of(body.length) : Buffer.of(0x81, body.length);
  return new Uint8Array(Buffer.concat([Buffer.of(0x30), length, body]));
}

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function bigIntToBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, '0'), 'hex');
}

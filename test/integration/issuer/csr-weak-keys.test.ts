// Weak public keys in a CSR (issuer/ca/public-key-policy.ts) through a real issuer: each is refused with a
// precise csr-weak-key, nothing is certified, and the enrollment survives for a good CSR. Where a weak key can
// sign (RSA exponent 1 or 3, a square modulus, a modulus with a small factor), the CSR is properly self-signed,
// so only the key check stands between it and a certificate; the others carry a signature that cannot verify.
import { createHash, createECDH, generatePrimeSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OID, bitString, distinguishedName, integer, objectIdentifier, sequence, tlv } from '../../../issuer/ca/der.ts';
import { makeCsr, opensslCsr, redeem, startHarness, upToRedeem } from './issuer-fixture.ts';
import type { IssuerHarness } from './issuer-fixture.ts';

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

const bytesOf = (value: bigint, length?: number): Uint8Array => {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const raw = Buffer.from(hex, 'hex');
  return new Uint8Array(length === undefined ? raw : Buffer.concat([Buffer.alloc(length - raw.length), raw]));
};
const bigOf = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).toString('hex')}`);

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if ((e & 1n) === 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error('not invertible');
  return ((oldS % m) + m) % m;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
const lcm = (a: bigint, b: bigint): bigint => (a / gcd(a, b)) * b;

function csr(spki: Uint8Array, signatureAlgorithm: string, sign: (info: Uint8Array) => Uint8Array): string {
  const info = sequence(integer(Uint8Array.of(0)), distinguishedName([[OID.commonName, 'phone']]), spki, tlv(0xa0));
  const algorithm =
    signatureAlgorithm === SHA256_WITH_RSA
      ? sequence(objectIdentifier(signatureAlgorithm), tlv(0x05))
      : sequence(objectIdentifier(signatureAlgorithm));
  return Buffer.from(sequence(info, algorithm, bitString(sign(info)))).toString('base64url');
}

/** A CSR for the RSA key (n, e), self-signed with PKCS#1 v1.5 by d when given, else with a signature that cannot verify. */
function rsaCsr(n: bigint, e: bigint, d: bigint | null): string {
  const spki = sequence(
    sequence(objectIdentifier(RSA_ENCRYPTION), tlv(0x05)),
    bitString(sequence(integer(bytesOf(n)), integer(bytesOf(e)))),
  );
  const length = bytesOf(n).length;
  return csr(spki, SHA256_WITH_RSA, (info) => {
    if (d === null) return new Uint8Array(length).fill(0x5a);
    const digest = Buffer.concat([SHA256_DIGEST_INFO, createHash('sha256').update(info).digest()]);
    const encoded = Buffer.concat([
      Buffer.of(0x00, 0x01),
      Buffer.alloc(length - digest.length - 3, 0xff),
      Buffer.of(0x00),
      digest,
    ]);
    return bytesOf(modPow(bigOf(encoded), d, n), length);
  });
}

function ecCsr(curveOid: string, point: Uint8Array): string {
  const spki = sequence(sequence(objectIdentifier(EC_PUBLIC_KEY), objectIdentifier(curveOid)), bitString(point));
  return csr(spki, ECDSA_WITH_SHA256, () => Uint8Array.from(Buffer.from('3006020101020101', 'hex')));
}

const prime = (bits: number): bigint => generatePrimeSync(bits, { bigint: true });

let h: IssuerHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('issuer: weak keys in a CSR are never certified', () => {
  it('refuses each weak RSA and EC key with a precise reason, then certifies a sound key on the same enrollment', async () => {
    const { code, accessToken } = await upToRedeem(h);
    const refusal = async (request: string) => {
      const answer = await redeem(h.http, accessToken, code.enrollmentId, code.otp, request);
      expect(answer.status).toBe(422);
      expect(answer.body.error).toBe('csr-weak-key');
      return answer.body.message;
    };

    const p = prime(1024);
    const q = prime(1024);
    const n = p * q;
    const lambda = lcm(p - 1n, q - 1n);
    // Exponent 1: the "signature" is the encoded message itself, so anyone can forge with this key.
    expect(await refusal(rsaCsr(n, 1n, 1n))).toMatch(/exponent must be at least 65537 \(this one is 1\)/);
    expect(await refusal(opensslCsr(['-newkey', 'rsa:2048', '-pkeyopt', 'rsa_keygen_pubexp:3']))).toMatch(
      /at least 65537 \(this one is 3\)/,
    );
    expect(await refusal(rsaCsr(n, 65536n, null))).toMatch(/must be odd \(this one is 65536\)/);
    expect(await refusal(rsaCsr(n, (1n << 300n) | 1n, null))).toMatch(/below 2\^256/);

    // n = r²: λ(r²) = r(r − 1).
    const r = prime(1024);
    expect(await refusal(rsaCsr(r * r, 65537n, modInverse(65537n, r * (r - 1n))))).toMatch(/perfect square/);
    // n = 3 · s, a 2048-bit modulus with the factor 3.
    const s = prime(2047);
    expect(await refusal(rsaCsr(3n * s, 65537n, modInverse(65537n, lcm(2n, s - 1n))))).toMatch(/small prime factor/);
    // Sanity of the construction: the same signer with a sound key is certified (below, on this enrollment).
    const sound = rsaCsr(n, 65537n, modInverse(65537n, lambda));

    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const point = new Uint8Array(ecdh.getPublicKey());
    const offCurve = point.slice();
    offCurve[64] = (offCurve[64] ?? 0) ^ 0x01;
    expect(await refusal(ecCsr('1.2.840.10045.3.1.7', offCurve))).toMatch(
      /P-256 public key is not a point on the curve/,
    );
    expect(await refusal(ecCsr('1.2.840.10045.3.1.7', Uint8Array.of(0x00)))).toMatch(
      /P-256 public key is the point at infinity/,
    );
    expect(await refusal(ecCsr('1.3.132.0.34', Uint8Array.of(0x00)))).toMatch(
      /P-384 public key is the point at infinity/,
    );
    // Infinity on a curve we do not accept: importing it into OpenSSL and asking its details aborts Node.
    expect(await refusal(ecCsr('1.3.132.0.10', Uint8Array.of(0x00)))).toMatch(/secp256k1/);
    expect(await refusal(ecCsr('1.3.132.0.35', Uint8Array.of(0x00)))).toMatch(/P-521/);
    const compressed = Uint8Array.of(0x02 | ((point[64] ?? 0) & 1), ...point.subarray(1, 33));
    expect(await refusal(ecCsr('1.2.840.10045.3.1.7', compressed))).toMatch(/compressed point/);
    const outside = new Uint8Array(65).fill(0xff);
    outside[0] = 0x04;
    expect(await refusal(ecCsr('1.2.840.10045.3.1.7', outside))).toMatch(/outside the field/);

    const certified = await redeem(h.http, accessToken, code.enrollmentId, code.otp, sound);
    expect(certified.status).toBe(200);
  }, 60_000);

  it('a sound P-384 key is still certified', async () => {
    const { code, accessToken } = await upToRedeem(h);
    expect(
      (
        await redeem(
          h.http,
          accessToken,
          code.enrollmentId,
          code.otp,
          await makeCsr({ name: 'ECDSA', namedCurve: 'P-384' }),
        )
      ).status,
    ).toBe(200);
  });
});

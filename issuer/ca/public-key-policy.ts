// Which public keys this CA certifies, decided from the SubjectPublicKeyInfo's DER alone, before OpenSSL ever
// imports the key: RSA 2048–4096 and EC P-256/P-384 (the key policy), then the checks a CA owes its relying
// parties (NIST SP 800-89 §5.3.3 partial public-key validation, SP 800-56A §5.6.2.3.4 for EC points):
// - RSA: public exponent odd and 2^16 < e < 2^256 (exponent 1 makes every signature forgeable, 3 invites
//   Bleichenbacher-style forgeries against lax verifiers); modulus odd, not a perfect square (n = p², whose
//   factor is its square root) and free of small prime factors.
// - EC: an uncompressed point with both coordinates below the field prime, on the named curve, not the point at
//   infinity.
// Measured with OpenSSL 3 through Node 20: createPublicKey imports RSA exponents 1, 3 and 65536, square moduli and
// moduli with small factors without a word, and imports an EC "point" 0x00 (infinity) whose key details then
// abort the whole Node process (an assertion in GetEcKeyDetail). Only an off-curve point is refused on import,
// with a bare "decode error". So nothing here leans on OpenSSL, and a refused key is never handed to it.
import { CURVE_P256, CURVE_P384, EC_PUBLIC_KEY, RSA_ENCRYPTION } from '../der/public-key-info.ts';
import type { PublicKeyInfo } from '../der/public-key-info.ts';

export interface AcceptedKey {
  name: string;
  type: 'rsa' | 'ec';
}
export type KeyVerdict = { ok: true; key: AcceptedKey } | { ok: false; message: string };

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 4096;
/** FIPS 186-5 §A.1.1: 2^16 < e < 2^256. */
const MIN_RSA_EXPONENT = 65537n;
const MAX_RSA_EXPONENT_BITS = 256;

interface Curve {
  name: string;
  p: bigint;
  a: bigint;
  b: bigint;
  bytes: number;
}
// SEC 2 / FIPS 186-5 domain parameters (a = p − 3 for both).
const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const P384_P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn;
const CURVES: ReadonlyMap<string, Curve> = new Map([
  [
    CURVE_P256,
    {
      name: 'P-256',
      p: P256_P,
      a: P256_P - 3n,
      b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
      bytes: 32,
    },
  ],
  [
    CURVE_P384,
    {
      name: 'P-384',
      p: P384_P,
      a: P384_P - 3n,
      b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
      bytes: 48,
    },
  ],
]);

/** Names of keys we refuse, so the refusal says what was sent. */
const KNOWN_ALGORITHMS: Record<string, string> = {
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.2.840.10040.4.1': 'DSA',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.10046.2.1': 'Diffie-Hellman',
};
const KNOWN_CURVES: Record<string, string> = {
  '1.3.132.0.35': 'P-521',
  '1.3.132.0.10': 'secp256k1',
  '1.2.840.10045.3.1.1': 'P-192',
  '1.3.132.0.33': 'P-224',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
};

/** The key policy and the key's validity; the verdict names what is wrong. */
export function checkPublicKey(info: PublicKeyInfo): KeyVerdict {
  if (info.algorithm === RSA_ENCRYPTION && info.rsa !== null)
    return checkRsaKey(info.rsa.modulus, info.rsa.publicExponent);
  if (info.algorithm === EC_PUBLIC_KEY) {
    if (info.namedCurve === null) return refuse('Elliptic-curve keys must name their curve (P-256 or P-384).');
    const curve = CURVES.get(info.namedCurve);
    if (curve === undefined) {
      return refuse(
        `Only P-256 and P-384 elliptic-curve keys are accepted (this one is ${KNOWN_CURVES[info.namedCurve] ?? `curve ${info.namedCurve}`}).`,
      );
    }
    return checkEcPoint(curve, info.subjectPublicKey);
  }
  return refuse(
    `Only RSA and elliptic-curve keys are accepted (this one is ${KNOWN_ALGORITHMS[info.algorithm] ?? `algorithm ${info.algorithm}`}).`,
  );
}

const refuse = (message: string): KeyVerdict => ({ ok: false, message });

function toBigInt(magnitude: Uint8Array): bigint {
  return magnitude.byteLength === 0 ? 0n : BigInt(`0x${Buffer.from(magnitude).toString('hex')}`);
}

function checkRsaKey(modulusBytes: Uint8Array, exponentBytes: Uint8Array): KeyVerdict {
  const n = toBigInt(modulusBytes);
  const e = toBigInt(exponentBytes);
  const bits = n.toString(2).length;
  if (n === 0n || bits < MIN_RSA_BITS)
    return refuse(`RSA keys must be at least ${MIN_RSA_BITS} bits (this one has ${n === 0n ? 0 : bits}).`);
  if (bits > MAX_RSA_BITS)
    return refuse(`RSA keys above ${MAX_RSA_BITS} bits are not accepted (this one has ${bits}).`);
  if (e % 2n === 0n) return refuse(`The RSA public exponent must be odd (this one is ${shortNumber(e)}).`);
  if (e < MIN_RSA_EXPONENT)
    return refuse(`The RSA public exponent must be at least 65537 (this one is ${shortNumber(e)}).`);
  if (e.toString(2).length > MAX_RSA_EXPONENT_BITS) return refuse('The RSA public exponent must be below 2^256.');
  if (hasSmallFactor(n)) return refuse(`The RSA modulus has a small prime factor (below ${SMALL_PRIME_BOUND}).`);
  if (isPerfectSquare(n)) return refuse('The RSA modulus is a perfect square (its square root factors it).');
  return { ok: true, key: { name: `RSA-${bits}`, type: 'rsa' } };
}

function shortNumber(value: bigint): string {
  const text = value.toString();
  return text.length <= 20 ? text : `${text.slice(0, 8)}… (${value.toString(2).length} bits)`;
}

function checkEcPoint(curve: Curve, point: Uint8Array): KeyVerdict {
  const [form] = point;
  if (point.byteLength === 1 && form === 0x00) return refuse(`The ${curve.name} public key is the point at infinity.`);
  if (form === 0x02 || form === 0x03)
    return refuse(`The ${curve.name} public key is a compressed point: send it uncompressed (04 || x || y).`);
  if (form !== 0x04 || point.byteLength !== 1 + 2 * curve.bytes) {
    return refuse(`The ${curve.name} public key is not an uncompressed point of ${1 + 2 * curve.bytes} bytes.`);
  }
  const x = toBigInt(point.subarray(1, 1 + curve.bytes));
  const y = toBigInt(point.subarray(1 + curve.bytes));
  if (x >= curve.p || y >= curve.p) return refuse(`The ${curve.name} public key has a coordinate outside the field.`);
  const { p } = curve;
  const left = (y * y) % p;
  const right = (((x * x) % p) * x + curve.a * x + curve.b) % p;
  if (left !== right) return refuse(`The ${curve.name} public key is not a point on the curve.`);
  // The point at infinity has no affine coordinates, so an on-curve (x, y) is never it; P-256 and P-384 have
  // cofactor 1, so every point on the curve is in the prime-order group.
  return { ok: true, key: { name: curve.name, type: 'ec' } };
}

/** Primes below this bound must not divide a modulus. */
const SMALL_PRIME_BOUND = 1000;

/**
 * The primes grouped so each group's product stays below 2^53: one BigInt remainder per group, then plain number
 * arithmetic per prime. Measured: ~30 µs for a 2048-bit modulus, where one gcd with the product of all the primes
 * (about 1,400 bits) took ~500 µs.
 */
const PRIME_GROUPS: ReadonlyArray<{ product: bigint; primes: readonly number[] }> = (() => {
  const groups: { product: bigint; primes: number[] }[] = [];
  let current = { product: 1n, primes: [] as number[] };
  for (const prime of primesBelow(SMALL_PRIME_BOUND)) {
    if (current.product * BigInt(prime) >= 1n << 53n) {
      groups.push(current);
      current = { product: 1n, primes: [] };
    }
    current.product *= BigInt(prime);
    current.primes.push(prime);
  }
  groups.push(current);
  return groups;
})();

function hasSmallFactor(n: bigint): boolean {
  return PRIME_GROUPS.some((group) => {
    const remainder = Number(n % group.product);
    return group.primes.some((prime) => remainder % prime === 0);
  });
}

function primesBelow(bound: number): number[] {
  const composite = new Uint8Array(bound);
  const primes: number[] = [];
  for (let candidate = 2; candidate < bound; candidate += 1) {
    if (composite[candidate] === 1) continue;
    primes.push(candidate);
    for (let multiple = candidate * candidate; multiple < bound; multiple += candidate) composite[multiple] = 1;
  }
  return primes;
}

/** Squares modulo 64, 63 and 65: almost every non-square fails one of these before the square root is taken. */
const SQUARE_FILTERS: ReadonlyArray<{ modulus: bigint; residues: ReadonlySet<number> }> = [64, 63, 65].map((m) => ({
  modulus: BigInt(m),
  residues: new Set(Array.from({ length: m }, (_, x) => (x * x) % m)),
}));

/** Newton's integer square root, from a power of two above the root, so it only ever decreases. */
function isPerfectSquare(n: bigint): boolean {
  if (SQUARE_FILTERS.some((filter) => !filter.residues.has(Number(n % filter.modulus)))) return false;
  let root = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const next = (root + n / root) >> 1n;
    if (next >= root) break;
    root = next;
  }
  return root * root === n;
}

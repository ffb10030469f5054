/**
 * Test-only ECDSA over a digest the caller already computed (what a PIV card does), since
 * node:crypto always hashes. Affine bigint arithmetic: slow but small, fine for a few signatures.
 */
import { randomBytes } from 'node:crypto';

interface Curve {
  p: bigint;
  n: bigint;
  gx: bigint;
  gy: bigint;
  bytes: number;
}

export const CURVES: Readonly<Record<'P-256' | 'P-384', Curve>> = {
  'P-256': {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    bytes: 32,
  },
  'P-384': {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    bytes: 48,
  },
};

type Point = { x: bigint; y: bigint } | null;

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;

function inverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

function add(curve: Curve, a: Point, b: Point): Point {
  if (a === null) return b;
  if (b === null) return a;
  const { p } = curve;
  if (a.x === b.x && mod(a.y + b.y, p) === 0n) return null;
  const slope =
    a.x === b.x && a.y === b.y
      ? mod((3n * a.x * a.x - 3n) * inverse(2n * a.y, p), p) // a = -3 on NIST curves
      : mod((b.y - a.y) * inverse(b.x - a.x, p), p);
  const x = mod(slope * slope - a.x - b.x, p);
  return { x, y: mod(slope * (a.x - x) - a.y, p) };
}

export function multiply(curve: Curve, k: bigint): Point {
  let result: Point = null;
  let addend: Point = { x: curve.gx, y: curve.gy };
  for (let e = k; e > 0n; e >>= 1n) {
    if ((e & 1n) === 1n) result = add(curve, result, addend);
    addend = add(curve, addend, addend);
  }
  return result;
}

const toBigInt = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);

function derInteger(value: bigint): number[] {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = [...Buffer.from(hex, 'hex')];
  if ((bytes[0] ?? 0) >= 0x80) bytes.unshift(0);
  return [0x02, bytes.length, ...bytes];
}

/** DER ECDSA signature of `digest` (same length as the curve order) with private scalar `d`. */
export function signDigest(curveName: 'P-256' | 'P-384', d: bigint, digest: Uint8Array): Uint8Array {
  const curve = CURVES[curveName];
  const e = toBigInt(digest);
  for (;;) {
    const k = mod(toBigInt(randomBytes(curve.bytes + 8)), curve.n - 1n) + 1n;
    const point = multiply(curve, k);
    if (point === null) continue;
    const r = mod(point.x, curve.n);
    const s = mod(inverse(k, curve.n) * (e + r * d), curve.n);
    if (r === 0n || s === 0n) continue;
    const body = [...derInteger(r), ...derInteger(s)];
    return Uint8Array.from([0x30, body.length, ...body]);
  }
}

export function scalarFromJwk(d: string): bigint {
  return toBigInt(Buffer.from(d, 'base64url'));
}

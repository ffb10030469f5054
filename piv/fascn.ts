/**
 * FASC-N (TIG SCEPACS v2.3 §6, as carried in the CHUID and the PIV Auth certificate's SAN):
 * 25 bytes = 40 characters of 5 bits, each 4 data bits sent least-significant first followed by
 * an odd parity bit. Layout:
 *   SS AGENCY(4) FS SYSTEM(4) FS CREDENTIAL(6) FS CS(1) FS ICI(1) FS PI(10) OC(1) OI(4) POA(1) ES LRC
 * The LRC's data bits are the XOR of the data bits of the 39 characters before it.
 */
import type { FascnFields } from '../contracts/card.ts';
import { PivError } from './errors.ts';

export type { FascnFields } from '../contracts/card.ts';

export const FASCN_LENGTH = 25;
const CHARACTER_COUNT = 40;
const SS = 0xb;
const FS = 0xd;
const ES = 0xf;

/** Where each field sits among the 40 characters (start index, digit count). */
const LAYOUT = {
  agencyCode: [1, 4],
  systemCode: [6, 4],
  credentialNumber: [11, 6],
  credentialSeries: [18, 1],
  individualCredentialIssue: [20, 1],
  personIdentifier: [22, 10],
  organizationalCategory: [32, 1],
  organizationalIdentifier: [33, 4],
  personOrganizationAssociation: [37, 1],
} as const satisfies Record<keyof FascnFields, readonly [number, number]>;

const SENTINELS: ReadonlyArray<readonly [number, number]> = [
  [0, SS],
  [5, FS],
  [10, FS],
  [17, FS],
  [19, FS],
  [21, FS],
  [38, ES],
];
const LRC_INDEX = 39;

export interface FascnInspection {
  readonly fields: FascnFields;
  /** Every character has odd parity. */
  readonly parityOk: boolean;
  /** The longitudinal redundancy check matches. */
  readonly lrcOk: boolean;
}

function malformed(reason: string): PivError {
  return new PivError('malformed-fascn', `FASC-N invalid: ${reason}`);
}

function readCharacter(bytes: Uint8Array, index: number): number {
  let raw = 0;
  for (let bit = index * 5; bit < index * 5 + 5; bit += 1) {
    const byte = bytes[bit >> 3] ?? 0;
    raw = (raw << 1) | ((byte >> (7 - (bit & 7))) & 1);
  }
  return raw; // b1 b2 b3 b4 P, b1 in the most significant position
}

function dataBits(raw: number): number {
  // raw = b1 b2 b3 b4 P; the value is b1 + 2*b2 + 4*b3 + 8*b4.
  return ((raw >> 4) & 1) | (((raw >> 3) & 1) << 1) | (((raw >> 2) & 1) << 2) | (((raw >> 1) & 1) << 3);
}

function hasOddParity(raw: number): boolean {
  let ones = 0;
  for (let v = raw; v !== 0; v >>= 1) ones += v & 1;
  return ones % 2 === 1;
}

function encodeCharacter(value: number): number {
  const bits = ((value & 1) << 4) | (((value >> 1) & 1) << 3) | (((value >> 2) & 1) << 2) | (((value >> 3) & 1) << 1);
  return hasOddParity(bits) ? bits : bits | 1;
}

/**
 * Decodes and reports parity/LRC status instead of throwing for them (for display: a help-desk
 * agent should see the fields of a damaged FASC-N). Wrong length, misplaced sentinels and
 * non-digit characters still throw 'malformed-fascn'.
 */
export function inspectFascn(bytes: Uint8Array): FascnInspection {
  if (bytes.length !== FASCN_LENGTH) throw malformed(`${bytes.length} bytes, expected ${FASCN_LENGTH}`);
  const raw = Array.from({ length: CHARACTER_COUNT }, (_, i) => readCharacter(bytes, i));
  const values = raw.map(dataBits);
  for (const [index, expected] of SENTINELS) {
    if (values[index] !== expected) throw malformed(`character ${index} should be a sentinel`);
  }
  const digitsAt = (start: number, count: number): string => {
    let out = '';
    for (let i = start; i < start + count; i += 1) {
      const value = values[i] ?? 0;
      if (value > 9) throw malformed(`character ${i} is not a digit`);
      out += String(value);
    }
    return out;
  };
  const fields = Object.fromEntries(
    Object.entries(LAYOUT).map(([name, [start, count]]) => [name, digitsAt(start, count)]),
  ) as unknown as FascnFields;
  const lrc = values.slice(0, LRC_INDEX).reduce((acc, v) => acc ^ v, 0);
  return { fields, parityOk: raw.every(hasOddParity), lrcOk: lrc === values[LRC_INDEX] };
}

/** Strict decode: any parity or LRC failure is an error too. */
export function decodeFascn(bytes: Uint8Array): FascnFields {
  const { fields, parityOk, lrcOk } = inspectFascn(bytes);
  if (!parityOk) throw malformed('parity error');
  if (!lrcOk) throw malformed('LRC mismatch');
  return fields;
}

/** Encodes fields (each exactly its width of ASCII digits) into the 25-byte FASC-N. */
export function encodeFascn(fields: FascnFields): Uint8Array {
  const values = new Array<number>(CHARACTER_COUNT).fill(0);
  for (const [index, sentinel] of SENTINELS) values[index] = sentinel;
  for (const [name, [start, count]] of Object.entries(LAYOUT)) {
    const digits = fields[name as keyof FascnFields];
    if (typeof digits !== 'string' || digits.length !== count || !/^[0-9]+$/.test(digits)) {
      throw new PivError('invalid-argument', `FASC-N field ${name} must be ${count} digit(s)`);
    }
    for (let i = 0; i < count; i += 1) values[start + i] = digits.charCodeAt(i) - 0x30;
  }
  values[LRC_INDEX] = values.slice(0, LRC_INDEX).reduce((acc, v) => acc ^ v, 0);
  const out = new Uint8Array(FASCN_LENGTH);
  values.forEach((value, index) => {
    const raw = encodeCharacter(value);
    for (let b = 0; b < 5; b += 1) {
      const bit = index * 5 + b;
      if ((raw >> (4 - b)) & 1) out[bit >> 3] = (out[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
    }
  });
  return out;
}

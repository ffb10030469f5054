import { describe, expect, it } from 'vitest';
import { decodeFascn, encodeFascn, inspectFascn } from '../../../piv/fascn.ts';
import type { FascnFields } from '../../../piv/fascn.ts';
import { hex, randomBytes, seededRandom, toHex } from './scripted-transport.ts';
import { codeOf } from './error-code.ts';

const VECTOR = 'd4e739da739ced39ce739d836858210842108421c84210c3eb';
const VECTOR_FIELDS: FascnFields = {
  agencyCode: '9999',
  systemCode: '9999',
  credentialNumber: '999999',
  credentialSeries: '0',
  individualCredentialIssue: '1',
  personIdentifier: '0000000000',
  organizationalCategory: '3',
  organizationalIdentifier: '0000',
  personOrganizationAssociation: '1',
};

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
  return copy;
}

describe('FASC-N', () => {
  it('decodes the known SP 800-73 vector', () => {
    expect(decodeFascn(hex(VECTOR))).toEqual(VECTOR_FIELDS);
  });

  it('encodes the known vector byte for byte', () => {
    expect(toHex(encodeFascn(VECTOR_FIELDS))).toBe(VECTOR);
  });

  it('round-trips arbitrary digit fields', () => {
    const next = seededRandom(11);
    const digits = (n: number): string => Array.from({ length: n }, () => String(next(10))).join('');
    for (let i = 0; i < 200; i += 1) {
      const fields: FascnFields = {
        agencyCode: digits(4),
        systemCode: digits(4),
        credentialNumber: digits(6),
        credentialSeries: digits(1),
        individualCredentialIssue: digits(1),
        personIdentifier: digits(10),
        organizationalCategory: digits(1),
        organizationalIdentifier: digits(4),
        personOrganizationAssociation: digits(1),
      };
      expect(decodeFascn(encodeFascn(fields))).toEqual(fields);
    }
  });

  it('detects a parity error (flipped parity bit of a digit)', () => {
    const bad = flipBit(hex(VECTOR), 5 * 1 + 4); // parity bit of the first agency digit
    const inspection = inspectFascn(bad);
    expect(inspection.parityOk).toBe(false);
    expect(inspection.fields.agencyCode).toBe('9999');
    expect(codeOf(() => decodeFascn(bad))).toBe('malformed-fascn');
  });

  it('detects an LRC mismatch', () => {
    // Change a digit AND fix its parity, so only the LRC can notice: flip two data bits.
    const bad = flipBit(flipBit(hex(VECTOR), 5 * 22), 5 * 22 + 1); // PI first digit 0 -> 3
    const inspection = inspectFascn(bad);
    expect(inspection.parityOk).toBe(true);
    expect(inspection.lrcOk).toBe(false);
    expect(inspection.fields.personIdentifier).toBe('3000000000');
    expect(codeOf(() => decodeFascn(bad))).toBe('malformed-fascn');
  });

  it('rejects wrong lengths', () => {
    expect(codeOf(() => decodeFascn(hex(VECTOR).subarray(0, 24)))).toBe('malformed-fascn');
    expect(codeOf(() => decodeFascn(new Uint8Array(26)))).toBe('malformed-fascn');
    expect(codeOf(() => decodeFascn(new Uint8Array(0)))).toBe('malformed-fascn');
  });

  it('rejects a missing start sentinel and a missing field separator', () => {
    expect(codeOf(() => decodeFascn(flipBit(hex(VECTOR), 0)))).toBe('malformed-fascn');
    expect(codeOf(() => decodeFascn(flipBit(hex(VECTOR), 25)))).toBe('malformed-fascn');
  });

  it('rejects non-digit fields when encoding', () => {
    expect(codeOf(() => encodeFascn({ ...VECTOR_FIELDS, agencyCode: '99a9' }))).toBe('invalid-argument');
    expect(codeOf(() => encodeFascn({ ...VECTOR_FIELDS, systemCode: '999' }))).toBe('invalid-argument');
  });

  it('throws only typed errors on random bytes', () => {
    const next = seededRandom(3);
    for (let i = 0; i < 3000; i += 1) {
      const code = codeOf(() => inspectFascn(randomBytes(next, i % 10 === 0 ? next(40) : 25)));
      expect(['no error', 'malformed-fascn']).toContain(code);
    }
  });
});

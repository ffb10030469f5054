import { describe, expect, it } from 'vitest';
import { encodeCommandApdu, parseResponseApdu } from '../../../piv/apdu.ts';
import { PivError } from '../../../piv/errors.ts';
import { describeStatusWord } from '../../../piv/status-words.ts';
import { errorForStatusWord } from '../../../piv/errors.ts';
import { hex, toHex } from './scripted-transport.ts';

const base = { cla: 0x00, ins: 0xcb, p1: 0x3f, p2: 0xff };

describe('command APDU encoding', () => {
  it('case 1: header only', () => {
    expect(toHex(encodeCommandApdu({ cla: 0, ins: 0x20, p1: 0, p2: 0x80 }))).toBe('00200080');
  });
  it('case 2 short: Le 256 encodes as 00', () => {
    expect(toHex(encodeCommandApdu({ ...base, le: 256 }))).toBe('00cb3fff00');
  });
  it('case 3 short', () => {
    expect(toHex(encodeCommandApdu({ ...base, data: hex('5c017e') }))).toBe('00cb3fff035c017e');
  });
  it('case 4 short', () => {
    expect(toHex(encodeCommandApdu({ ...base, data: hex('5c017e'), le: 256 }))).toBe('00cb3fff035c017e00');
  });
  it('case 2 extended: 00 + 2-byte Le, 65536 as 0000', () => {
    expect(toHex(encodeCommandApdu({ ...base, le: 65536 }, true))).toBe('00cb3fff000000');
    expect(toHex(encodeCommandApdu({ ...base, le: 1000 }, true))).toBe('00cb3fff0003e8');
  });
  it('case 3/4 extended', () => {
    const data = new Uint8Array(300).fill(0xab);
    const c3 = encodeCommandApdu({ ...base, data }, true);
    expect(toHex(c3.subarray(0, 7))).toBe('00cb3fff00012c');
    expect(c3.length).toBe(7 + 300);
    const c4 = encodeCommandApdu({ ...base, data, le: 65536 }, true);
    expect(toHex(c4.subarray(c4.length - 2))).toBe('0000');
    expect(c4.length).toBe(7 + 300 + 2);
  });
  it('rejects data too long for the form and bad header bytes', () => {
    expect(() => encodeCommandApdu({ ...base, data: new Uint8Array(256) })).toThrow(PivError);
    expect(() => encodeCommandApdu({ ...base, le: 257 })).toThrow(PivError);
    expect(() => encodeCommandApdu({ ...base, data: new Uint8Array(65536) }, true)).toThrow(PivError);
    expect(() => encodeCommandApdu({ ...base, p1: 256 })).toThrow(PivError);
  });
});

describe('response APDU', () => {
  it('splits data and status word', () => {
    const r = parseResponseApdu(hex('0102 9000'));
    expect(toHex(r.data)).toBe('0102');
    expect(r.sw).toBe(0x9000);
  });
  it('rejects responses without a status word', () => {
    for (const raw of ['', '90']) {
      try {
        parseResponseApdu(hex(raw));
        expect.unreachable();
      } catch (error) {
        expect((error as PivError).code).toBe('malformed-response');
      }
    }
  });
});

describe('status words', () => {
  it.each([
    [0x6983, 'pin-blocked'],
    [0x6982, 'security-status'],
    [0x6a80, 'incorrect-data'],
    [0x6a81, 'function-not-supported'],
    [0x6a82, 'not-found'],
    [0x6a86, 'incorrect-parameters'],
    [0x6a88, 'reference-not-found'],
    [0x6d00, 'instruction-not-supported'],
    [0x6e00, 'class-not-supported'],
    [0x6700, 'wrong-length'],
    [0x6984, 'reference-data-not-usable'],
    [0x1234, 'unexpected-status'],
  ])('%s maps to %s', (sw, code) => {
    expect(errorForStatusWord(sw, 'TEST').code).toBe(code);
  });
  it('63C2 is a wrong PIN with 2 tries left', () => {
    const error = errorForStatusWord(0x63c2, 'VERIFY');
    expect(error.code).toBe('wrong-pin');
    expect(error.triesLeft).toBe(2);
    expect(error.message).toContain('63C2');
  });
  it('names families', () => {
    expect(describeStatusWord(0x6a82)).toBe('6A82 data object or application not found');
    expect(describeStatusWord(0x6100)).toContain('256 more bytes');
    expect(describeStatusWord(0x6c10)).toContain('expected 16');
  });
});

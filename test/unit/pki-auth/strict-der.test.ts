// The strict DER reader (issuer/der/strict-der.ts) on hand-made encodings: what DER forbids is refused
// with a DerFormatError (never another exception), what it allows is read exactly.
import { describe, expect, it } from 'vitest';
import {
  DerFormatError,
  checkWellFormed,
  readBitString,
  readBoolean,
  readElementAt,
  readIntegerBytes,
  readOid,
  readTime,
  readWhole,
} from '../../../issuer/der/strict-der.ts';

const bytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
const whole = (hex: string, tag = 0x30) => readWhole(bytes(hex), tag, 'test');

function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DerFormatError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('lengths and framing', () => {
  it('reads short and long definite lengths', () => {
    expect(whole('3003020101')).toEqual({ tag: 0x30, start: 0, contentStart: 2, end: 5 });
    const long = `3081 80${'00'.repeat(128)}`;
    expect(whole(long)).toMatchObject({ contentStart: 3, end: 131 });
  });

  it('refuses non-minimal lengths, indefinite lengths, huge lengths, lengths past the end and trailing bytes', () => {
    expect(refusal(() => whole('308103020101'))).toMatch(/shortest form/);
    expect(refusal(() => whole(`3082 0080${'00'.repeat(128)}`))).toMatch(/shortest form/);
    expect(refusal(() => whole('3080020101 0000'))).toMatch(/indefinite/);
    expect(refusal(() => whole('3084ffffffff00'))).toMatch(/length of 4 octets/);
    expect(refusal(() => whole('3083ffffff00'))).toMatch(/past the end/);
    expect(refusal(() => whole('30050201'))).toMatch(/past the end/);
    expect(refusal(() => whole('300302010100'))).toMatch(/trailing/);
    expect(refusal(() => whole('30'))).toMatch(/truncated/);
    expect(refusal(() => whole('3082'))).toMatch(/truncated/);
    expect(refusal(() => whole('3f2001'))).toMatch(/high-tag-number/);
    expect(refusal(() => whole('0000'))).toMatch(/end-of-contents/);
    expect(refusal(() => whole('3103020101'))).toMatch(/tag 0x31/);
  });

  it('refuses children that do not fill their container exactly', () => {
    const outer = whole('300402010102', 0x30);
    expect(refusal(() => checkWellFormed(bytes('300402010102'), outer, 4))).toMatch(/truncated|past the end/);
  });
});

describe('generic well-formedness', () => {
  it('bounds the nesting depth, whatever the input, without exhausting the stack', () => {
    let encoded = Buffer.from('0500', 'hex');
    for (let level = 0; level < 5000; level += 1) {
      const length = encoded.length;
      const header =
        length < 0x80
          ? [0x30, length]
          : length < 0x100
            ? [0x30, 0x81, length]
            : length < 0x10000
              ? [0x30, 0x82, length >> 8, length & 0xff]
              : [0x30, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
      encoded = Buffer.concat([Buffer.from(header), encoded]);
    }
    const der = new Uint8Array(encoded);
    expect(refusal(() => checkWellFormed(der, readWhole(der, 0x30, 'deep'), 12))).toMatch(/nested too deeply/);
  });

  it('refuses constructed string encodings and primitive SEQUENCEs', () => {
    const constructedOctets = bytes('2406 0402aabb 0400');
    expect(refusal(() => checkWellFormed(constructedOctets, readWhole(constructedOctets, 0x24, 't'), 4))).toMatch(
      /constructed encoding/,
    );
    const primitiveSequence = bytes('3003 1001ff');
    expect(refusal(() => checkWellFormed(primitiveSequence, readWhole(primitiveSequence, 0x30, 't'), 4))).toMatch(
      /primitive form/,
    );
  });
});

describe('values', () => {
  const element = (hex: string) => {
    const der = bytes(hex);
    return { der, element: readElementAt(der, 0, der.byteLength) };
  };

  it('OBJECT IDENTIFIER: exact dotted text, 128-bit arcs included; non-minimal arcs and truncation refused', () => {
    const oid = (hex: string) => {
      const { der, element: e } = element(hex);
      return readOid(der, e);
    };
    expect(oid('0603551d11')).toBe('2.5.29.17');
    expect(oid('060a6086480165030201030d')).toBe('2.16.840.1.101.3.2.1.3.13');
    expect(oid('06012a')).toBe('1.2');
    expect(oid('0603883703')).toBe('2.999.3');
    expect(oid('06146983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776')).toBe('2.25.329800735698586629295641978511506172918');
    expect(refusal(() => oid('0600'))).toMatch(/empty/);
    expect(refusal(() => oid('0603558001'))).toMatch(/shortest form/);
    expect(refusal(() => oid('06025581'))).toMatch(/truncated/);
  });

  it('BOOLEAN, INTEGER and BIT STRING follow DER', () => {
    const bool = (hex: string) => {
      const { der, element: e } = element(hex);
      return readBoolean(der, e);
    };
    expect(bool('0101ff')).toBe(true);
    expect(bool('010100')).toBe(false);
    expect(refusal(() => bool('010101'))).toMatch(/neither/);
    expect(refusal(() => bool('0102ffff'))).toMatch(/one octet/);
    const integer = (hex: string) => {
      const { der, element: e } = element(hex);
      return Buffer.from(readIntegerBytes(der, e)).toString('hex');
    };
    expect(integer('020200ff')).toBe('00ff');
    expect(integer('0201ff')).toBe('ff');
    expect(refusal(() => integer('02020001'))).toMatch(/shortest form/);
    expect(refusal(() => integer('0202ff80'))).toMatch(/shortest form/);
    expect(refusal(() => integer('0200'))).toMatch(/without content/);
    const bits = (hex: string) => {
      const { der, element: e } = element(hex);
      return readBitString(der, e);
    };
    expect(bits('03020780').unusedBits).toBe(7);
    expect(refusal(() => bits('03020781'))).toMatch(/non-zero unused bits/);
    expect(refusal(() => bits('03020880'))).toMatch(/unused-bit count/);
    expect(refusal(() => bits('030107'))).toMatch(/empty BIT STRING/);
  });

  it('times: UTCTime and GeneralizedTime in RFC 5280 form only, calendar-checked', () => {
    const time = (hex: string) => {
      const { der, element: e } = element(hex);
      return readTime(der, e);
    };
    const utc = (text: string) => `170d${Buffer.from(text).toString('hex')}`;
    const generalized = (text: string) => `180f${Buffer.from(text).toString('hex')}`;
    expect(time(utc('240229123456Z')).toISOString()).toBe('2024-02-29T12:34:56.000Z');
    expect(time(utc('500101000000Z')).toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect(time(utc('491231235959Z')).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(time(generalized('20510101000000Z')).toISOString()).toBe('2051-01-01T00:00:00.000Z');
    for (const bad of [
      utc('230229000000Z'),
      utc('241301000000Z'),
      utc('240101240000Z'),
      utc('2401010000Z0Z'),
      utc('24010100000+Z'),
      generalized('2051010100000Z0'),
    ]) {
      expect(refusal(() => time(bad))).toMatch(/time|UTCTime|GeneralizedTime/);
    }
    expect(refusal(() => time('170b' + Buffer.from('2401010000Z').toString('hex')))).toMatch(/UTCTime/);
  });
});

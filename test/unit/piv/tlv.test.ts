import { describe, expect, it } from 'vitest';
import { encodeLength, encodeTlv, parseSingleTlv, parseTlvs, parseTlvTree } from '../../../piv/tlv.ts';
import { hex, randomBytes, seededRandom, toHex } from './scripted-transport.ts';
import { codeOf } from './error-code.ts';

describe('BER-TLV parse', () => {
  it('reads 1-, 2- and 3-byte tags', () => {
    const items = parseTlvs(hex('4f 01 aa 5f2f 02 4010 5fc102 01 bb'));
    expect(items.map((i) => [i.tag, toHex(i.value)])).toEqual([
      [0x4f, 'aa'],
      [0x5f2f, '4010'],
      [0x5fc102, 'bb'],
    ]);
  });

  it('reads 81, 82 and 83 lengths', () => {
    const v200 = new Uint8Array(200).fill(1);
    const v300 = new Uint8Array(300).fill(2);
    const v70000 = new Uint8Array(70000).fill(3);
    const items = parseTlvs(
      Uint8Array.from([...encodeTlv(0x70, v200), ...encodeTlv(0x71, v300), ...encodeTlv(0x53, v70000)]),
    );
    expect(items.map((i) => i.value.length)).toEqual([200, 300, 70000]);
    expect(encodeLength(200)).toEqual([0x81, 200]);
    expect(encodeLength(300)).toEqual([0x82, 1, 44]);
    expect(encodeLength(70000)).toEqual([0x83, 1, 0x11, 0x70]);
  });

  it('marks constructed tags and parses nested trees', () => {
    const tree = parseTlvTree(hex('7c 04 82 00 81 00'));
    expect(tree[0]?.constructed).toBe(true);
    expect(tree[0]?.children.map((c) => c.tag)).toEqual([0x82, 0x81]);
  });

  it('round-trips encode/parse', () => {
    const value = hex('0102030405');
    const parsed = parseSingleTlv(encodeTlv(0x5fc105, value));
    expect(parsed.tag).toBe(0x5fc105);
    expect(toHex(parsed.value)).toBe('0102030405');
  });

  it.each([
    ['truncated value', '53 05 01 02'],
    ['truncated length', '53 82 01'],
    ['missing length', '53'],
    ['truncated multi-byte tag', '5f c1'],
    ['indefinite length', '53 80 01 02 00 00'],
    ['over-long length field', '53 84 00 00 00 01 aa'],
    ['tag longer than 3 bytes', '5f c1 81 81 01 00'],
  ])('rejects %s with malformed-tlv', (_name, input) => {
    expect(codeOf(() => parseTlvs(hex(input)))).toBe('malformed-tlv');
  });

  it('applies the trailing-bytes rules', () => {
    expect(codeOf(() => parseSingleTlv(hex('53 01 aa 99')))).toBe('malformed-tlv');
    expect(codeOf(() => parseSingleTlv(hex('53 01 aa 54 00')))).toBe('malformed-tlv');
    expect(parseTlvs(hex('53 01 aa 00 00 ff'), { trailing: 'allow-padding' })).toHaveLength(1);
    expect(codeOf(() => parseTlvs(hex('53 01 aa 00 12'), { trailing: 'allow-padding' }))).toBe('malformed-tlv');
    expect(parseTlvs(hex('53 01 aa 99'), { trailing: 'ignore' })).toHaveLength(1);
  });

  it('limits nesting depth', () => {
    let nested = encodeTlv(0x80, hex('01'));
    for (let i = 0; i < 20; i += 1) nested = encodeTlv(0x30, nested);
    expect(codeOf(() => parseTlvTree(nested, 8))).toBe('malformed-tlv');
    expect(parseTlvTree(nested, 32)).toHaveLength(1);
  });

  it('never reads past the buffer (view inside a larger buffer)', () => {
    const backing = hex('53 05 01 02 03 04 05');
    const view = backing.subarray(0, 4); // claims 5 bytes, only 2 in the view
    expect(codeOf(() => parseTlvs(view))).toBe('malformed-tlv');
  });

  it('throws only typed errors on random input', () => {
    const next = seededRandom(7);
    for (let round = 0; round < 5000; round += 1) {
      const bytes = randomBytes(next, next(64));
      const code = codeOf(() => parseTlvTree(bytes, 4, { trailing: round % 2 === 0 ? 'reject' : 'allow-padding' }));
      expect(['no error', 'malformed-tlv']).toContain(code);
    }
  });
});

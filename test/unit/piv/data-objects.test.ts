import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseCertificateObject } from '../../../piv/certificate-object.ts';
import { parseChuidObject } from '../../../piv/chuid.ts';
import { parseDiscoveryObject } from '../../../piv/discovery.ts';
import { PivError } from '../../../piv/errors.ts';
import { getDataCommand } from '../../../piv/objects.ts';
import { parseCccObject, parseKeyHistoryObject } from '../../../piv/small-objects.ts';
import { encodeTlv, encodeTlvs } from '../../../piv/tlv.ts';
import { encodeCommandApdu } from '../../../piv/apdu.ts';
import { chuidObject, discoveryObject } from './fake-piv-card.ts';
import { hex, randomBytes, seededRandom, toHex } from './scripted-transport.ts';
import { VECTOR_FASCN } from './test-pki.ts';
import { codeOf } from './error-code.ts';

const wrap53 = (items: Array<readonly [number, Uint8Array]>): Uint8Array => encodeTlv(0x53, encodeTlvs(items));

describe('GET DATA command', () => {
  it.each([
    [0x5fc102, 256, '00cb3fff055c035fc10200'],
    [0x7e, 256, '00cb3fff035c017e00'],
    [0x5fc107, 256, '00cb3fff055c035fc10700'],
    [0x5fc10c, 256, '00cb3fff055c035fc10c00'],
  ])('object %s', (tag, le, expected) => {
    expect(toHex(encodeCommandApdu(getDataCommand(tag, le)))).toBe(expected);
  });
});

describe('CHUID', () => {
  it('decodes FASC-N, GUID, expiration, cardholder UUID and signature presence', () => {
    const info = parseChuidObject(chuidObject(hex(VECTOR_FASCN)));
    expect(info).toEqual({
      fascn: {
        agencyCode: '9999',
        systemCode: '9999',
        credentialNumber: '999999',
        credentialSeries: '0',
        individualCredentialIssue: '1',
        personIdentifier: '0000000000',
        organizationalCategory: '3',
        organizationalIdentifier: '0000',
        personOrganizationAssociation: '1',
        hex: VECTOR_FASCN,
        parityOk: true,
        lrcOk: true,
      },
      fascnError: null,
      guid: '01234567-89ab-cdef-0123-456789abcdef',
      expirationDate: '2030-12-31',
      cardholderUuid: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
      signed: true,
    });
    expect(parseChuidObject(chuidObject(hex(VECTOR_FASCN), { signed: false })).signed).toBe(false);
  });

  it('keeps reading when the FASC-N is damaged, and reports it', () => {
    const info = parseChuidObject(
      wrap53([
        [0x30, hex('00'.repeat(25))],
        [0x34, new Uint8Array(16)],
        [0x35, Buffer.from('20251341')],
      ]),
    );
    expect(info.fascn).toBeNull();
    expect(info.fascnError).toBe('malformed-fascn');
    expect(info.guid).toBeNull(); // all-zero GUID means none
    expect(info.expirationDate).toBeNull(); // month 13
  });

  it('shows parity/LRC problems rather than hiding the FASC-N', () => {
    const bad = hex(VECTOR_FASCN);
    bad[24] = (bad[24] ?? 0) ^ 0x02; // damage the LRC's data bits
    const info = parseChuidObject(wrap53([[0x30, bad]]));
    expect(info.fascn?.lrcOk).toBe(false);
  });

  it('rejects a GUID of the wrong size and an empty CHUID', () => {
    expect(codeOf(() => parseChuidObject(wrap53([[0x34, new Uint8Array([1, 2, 3])]])))).toBe('malformed-object');
    expect(codeOf(() => parseChuidObject(hex('5300')))).toBe('not-found');
  });
});

describe('discovery object', () => {
  it('application PIN primary', () => {
    expect(parseDiscoveryObject(discoveryObject(false))).toEqual({
      aid: 'a000000308000010000100',
      applicationPinSatisfies: true,
      globalPinSatisfies: false,
      occSatisfies: false,
      primaryPin: 'application',
    });
  });
  it('global PIN primary (5F2F 60 20)', () => {
    expect(parseDiscoveryObject(discoveryObject(true)).primaryPin).toBe('global');
  });
  it('global PIN named primary but not satisfying: application wins', () => {
    const object = encodeTlv(
      0x7e,
      encodeTlvs([
        [0x4f, hex('a000000308000010000100')],
        [0x5f2f, hex('4020')],
      ]),
    );
    expect(parseDiscoveryObject(object).primaryPin).toBe('application');
  });
  it('missing or short policy is malformed', () => {
    expect(codeOf(() => parseDiscoveryObject(encodeTlv(0x7e, encodeTlv(0x4f, hex('a0')))))).toBe('malformed-object');
    expect(
      codeOf(() =>
        parseDiscoveryObject(
          encodeTlv(
            0x7e,
            encodeTlvs([
              [0x4f, hex('a0')],
              [0x5f2f, hex('40')],
            ]),
          ),
        ),
      ),
    ).toBe('malformed-object');
    expect(codeOf(() => parseDiscoveryObject(encodeTlv(0x53, new Uint8Array(0))))).toBe('malformed-object');
  });
});

describe('CCC and key history', () => {
  it('parses the CCC', () => {
    const ccc = wrap53([
      [0xf0, hex('a000000116ff0211223344556677889900aabbccdd')],
      [0xf1, hex('21')],
      [0xf2, hex('21')],
      [0xf3, new Uint8Array()],
      [0xf4, hex('00')],
      [0xf5, hex('10')],
      [0xf6, new Uint8Array()],
      [0xf7, new Uint8Array()],
      [0xfa, new Uint8Array()],
      [0xfb, new Uint8Array()],
      [0xfc, new Uint8Array()],
      [0xfd, new Uint8Array()],
      [0xfe, new Uint8Array()],
    ]);
    expect(parseCccObject(ccc)).toEqual({
      cardIdentifier: 'a000000116ff0211223344556677889900aabbccdd',
      containerVersion: 0x21,
      grammarVersion: 0x21,
      pkcs15: false,
      dataModelNumber: 0x10,
    });
  });
  it('parses key history', () => {
    const history = wrap53([
      [0xc1, hex('02')],
      [0xc2, hex('01')],
      [0xf3, Buffer.from('http://example.test/certs')],
      [0xfe, new Uint8Array()],
    ]);
    expect(parseKeyHistoryObject(history)).toEqual({
      keysWithOnCardCertificates: 2,
      keysWithOffCardCertificates: 1,
      offCardCertificateUrl: 'http://example.test/certs',
    });
  });
});

describe('certificate object', () => {
  const der = Uint8Array.from({ length: 900 }, (_, i) => (i * 7) & 0xff);
  it('plain certificate', () => {
    const r = parseCertificateObject(
      wrap53([
        [0x70, der],
        [0x71, hex('00')],
        [0xfe, new Uint8Array()],
      ]),
    );
    expect(r).toEqual({ der, compressed: false });
  });
  it('CertInfo 01: gzip-compressed certificate is decompressed', () => {
    const r = parseCertificateObject(
      wrap53([
        [0x70, new Uint8Array(gzipSync(der))],
        [0x71, hex('01')],
        [0xfe, new Uint8Array()],
      ]),
    );
    expect(r.compressed).toBe(true);
    expect(r.der).toEqual(der);
  });
  it('a gzip bomb stops at the size cap', () => {
    const bomb = new Uint8Array(gzipSync(new Uint8Array(10 * 1024 * 1024)));
    expect(bomb.length).toBeLessThan(20_000);
    expect(
      codeOf(() =>
        parseCertificateObject(
          wrap53([
            [0x70, bomb],
            [0x71, hex('01')],
          ]),
        ),
      ),
    ).toBe('malformed-certificate');
  });
  it('corrupt gzip data is malformed-certificate; empty slot is not-found', () => {
    expect(
      codeOf(() =>
        parseCertificateObject(
          wrap53([
            [0x70, hex('1f8b0800deadbeef')],
            [0x71, hex('01')],
          ]),
        ),
      ),
    ).toBe('malformed-certificate');
    expect(codeOf(() => parseCertificateObject(hex('5300')))).toBe('not-found');
    expect(codeOf(() => parseCertificateObject(wrap53([[0x70, new Uint8Array()]])))).toBe('not-found');
  });
  it('tolerates 00/FF padding after the object', () => {
    const padded = Uint8Array.from([
      ...wrap53([
        [0x70, der],
        [0x71, hex('00')],
      ]),
      0,
      0,
      0xff,
    ]);
    expect(parseCertificateObject(padded).der).toEqual(der);
  });
});

describe('hostile data objects: only typed errors', () => {
  const parsers: Array<[string, (b: Uint8Array) => unknown]> = [
    ['chuid', parseChuidObject],
    ['discovery', parseDiscoveryObject],
    ['certificate', parseCertificateObject],
    ['ccc', parseCccObject],
    ['key history', parseKeyHistoryObject],
  ];
  it.each(parsers)('%s parser', (_name, parse) => {
    const next = seededRandom(1234);
    const validish = [
      chuidObject(hex(VECTOR_FASCN)),
      discoveryObject(true),
      wrap53([
        [0x70, hex('3003020101')],
        [0x71, hex('01')],
      ]),
    ];
    for (let i = 0; i < 3000; i += 1) {
      let input: Uint8Array;
      if (i % 3 === 0) {
        input = randomBytes(next, next(80));
      } else {
        // Mutate a valid object: flip, truncate or extend, so parsing gets deep before failing.
        const base = validish[i % validish.length] ?? new Uint8Array();
        input = Uint8Array.from(base);
        const at = next(input.length);
        input[at] = next(256);
        if (i % 5 === 0) input = input.subarray(0, next(input.length + 1));
        if (i % 7 === 0) input = Uint8Array.from([...input, ...randomBytes(next, next(8))]);
        if (i % 11 === 0) input[1] = 0x80 | next(8);
      }
      try {
        parse(input);
      } catch (error) {
        if (!(error instanceof PivError)) throw new Error(`untyped ${String(error)} for ${toHex(input)}`);
      }
    }
  });
});

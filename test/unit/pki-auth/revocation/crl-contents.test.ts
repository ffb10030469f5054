// What PKI-AUTH reads from a CRL (issuer/pki-auth/revocation/crl-contents.ts, distribution-points.ts and
// issuer/der/integer.ts), with hostile CRLs: anything it cannot process makes the CRL unusable — never an answer,
// in either direction. The CRLs here are built field by field (unsigned: signatures are checked elsewhere).
import 'reflect-metadata';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { parseCrl } from '../../../../issuer/pki-auth/revocation/crl.ts';
import { canonicalIntegerHex } from '../../../../issuer/der/integer.ts';
import {
  ALL_REASONS,
  readCrlDistributionPoints,
  readIssuingDistributionPoint,
} from '../../../../issuer/pki-auth/revocation/distribution-points.ts';
import type { CrlContents } from '../../../../issuer/pki-auth/revocation/crl-contents.ts';

const IDP = '2.5.29.28';
const DELTA = '2.5.29.27';
const CRL_NUMBER = '2.5.29.20';
const REASON = '2.5.29.21';
const CERTIFICATE_ISSUER = '2.5.29.29';

interface Entry {
  serial: number[];
  extensions?: pkijs.Extension[];
}

function name(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.PrintableString({ value: commonName }) }),
    ],
  });
}

function extension(extnID: string, value: number[] | Uint8Array, critical = false): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: new Uint8Array(value).buffer });
}

/** A CRL as DER, read back through the loader PKI-AUTH uses. */
function contentsOf(options: { entries?: Entry[]; extensions?: pkijs.Extension[] }): CrlContents {
  const crl = new pkijs.CertificateRevocationList({
    version: 1,
    issuer: name('Test CA'),
    thisUpdate: new pkijs.Time({ type: 0, value: new Date('2026-01-01T00:00:00Z') }),
    nextUpdate: new pkijs.Time({ type: 0, value: new Date('2026-02-01T00:00:00Z') }),
    signature: new pkijs.AlgorithmIdentifier({
      algorithmId: '1.2.840.113549.1.1.11',
      algorithmParams: new asn1js.Null(),
    }),
    signatureValue: new asn1js.BitString({ valueHex: new Uint8Array(16).buffer }),
  });
  if (options.entries !== undefined) {
    crl.revokedCertificates = options.entries.map(
      (entry) =>
        new pkijs.RevokedCertificate({
          userCertificate: new asn1js.Integer({ valueHex: Uint8Array.from(entry.serial).buffer }),
          revocationDate: new pkijs.Time({ type: 0, value: new Date('2025-12-01T00:00:00Z') }),
          ...(entry.extensions === undefined
            ? {}
            : { crlEntryExtensions: new pkijs.Extensions({ extensions: entry.extensions }) }),
        }),
    );
  }
  if (options.extensions !== undefined) crl.crlExtensions = new pkijs.Extensions({ extensions: options.extensions });
  const schema: asn1js.Sequence = crl.toSchema(true) as asn1js.Sequence; // pkijs types this one toSchema as any
  const parsed = parseCrl(new Uint8Array(schema.toBER()), 'test');
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.crl.contents;
}

describe('serial numbers keep their sign (defect 6, PKITS 4.4.14)', () => {
  it('02 02 00 FF (255) and 02 01 FF (−1) are different keys; redundant sign octets collapse', () => {
    expect(canonicalIntegerHex(Uint8Array.of(0x00, 0xff))).toBe('00ff');
    expect(canonicalIntegerHex(Uint8Array.of(0xff))).toBe('ff');
    expect(canonicalIntegerHex(Uint8Array.of(0x00, 0x00, 0xff))).toBe('00ff'); // BER-lenient CRL entry: same value
    expect(canonicalIntegerHex(Uint8Array.of(0xff, 0xff, 0x80))).toBe('80');
    expect(canonicalIntegerHex(Uint8Array.of(0x00))).toBe('00');
  });

  it('a CRL revoking −1 does not list 255', () => {
    const contents = contentsOf({ entries: [{ serial: [0xff] }] });
    expect(contents.unusable).toBeNull();
    expect(contents.entries.has('ff')).toBe(true);
    expect(contents.entries.has('00ff')).toBe(false);
  });
});

describe('hostile CRLs are unusable, never an answer', () => {
  it('garbage in the issuingDistributionPoint', () => {
    expect(contentsOf({ extensions: [extension(IDP, [0x30, 0x03, 0xa0, 0x05, 0x00], true)] }).unusable).toMatch(
      /unreadable/,
    );
    expect(contentsOf({ extensions: [extension(IDP, [0x04, 0x00], true)] }).unusable).toMatch(/unreadable/);
  });

  it('an empty issuingDistributionPoint, or one claiming two "only contains" scopes', () => {
    expect(contentsOf({ extensions: [extension(IDP, [0x30, 0x00], true)] }).unusable).toMatch(/empty SEQUENCE/);
    expect(
      contentsOf({ extensions: [extension(IDP, [0x30, 0x06, 0x81, 0x01, 0xff, 0x82, 0x01, 0xff], true)] }).unusable,
    ).toMatch(/more than one/);
  });

  it('an indirect CRL', () => {
    expect(contentsOf({ extensions: [extension(IDP, [0x30, 0x03, 0x84, 0x01, 0xff], true)] }).unusable).toMatch(
      /indirect CRL/,
    );
  });

  it('an unknown critical CRL extension, or the same extension twice', () => {
    expect(contentsOf({ extensions: [extension('1.2.3.4', [0x05, 0x00], true)] }).unusable).toMatch(
      /unknown critical extension 1\.2\.3\.4/,
    );
    expect(
      contentsOf({ extensions: [extension(CRL_NUMBER, [0x02, 0x01, 0x01]), extension(CRL_NUMBER, [0x02, 0x01, 0x02])] })
        .unusable,
    ).toMatch(/twice/);
  });

  it('an entry with an unknown critical extension, or for another certificate issuer', () => {
    expect(
      contentsOf({ entries: [{ serial: [0x01], extensions: [extension('1.2.3.4', [0x05, 0x00], true)] }] }).unusable,
    ).toMatch(/unknown critical/);
    const otherIssuer = [0x30, 0x02, 0xa4, 0x00];
    expect(
      contentsOf({ entries: [{ serial: [0x01], extensions: [extension(CERTIFICATE_ISSUER, otherIssuer, true)] }] })
        .unusable,
    ).toMatch(/certificateIssuer/);
  });

  it('a reason code that is not a CRLReason', () => {
    expect(
      contentsOf({ entries: [{ serial: [0x01], extensions: [extension(REASON, [0x0a, 0x01, 0x07])] }] }).unusable,
    ).toMatch(/unreadable/);
    expect(
      contentsOf({ entries: [{ serial: [0x01], extensions: [extension(REASON, [0x0a, 0x01, 0x63])] }] }).unusable,
    ).toMatch(/unreadable/);
  });

  it('a delta CRL with a negative or oversized BaseCRLNumber', () => {
    expect(contentsOf({ extensions: [extension(DELTA, [0x02, 0x01, 0x80], true)] }).unusable).toMatch(/unreadable/);
    const huge = [0x02, 0x16, 0x01, ...new Array<number>(21).fill(0)];
    expect(contentsOf({ extensions: [extension(DELTA, huge, true)] }).unusable).toMatch(/unreadable/);
  });

  it('a well-formed delta CRL is read as one (applied only on a complete CRL it extends)', () => {
    const contents = contentsOf({
      extensions: [extension(DELTA, [0x02, 0x01, 0x05], true), extension(CRL_NUMBER, [0x02, 0x01, 0x07])],
    });
    expect(contents).toMatchObject({ unusable: null, deltaBase: 5n, crlNumber: 7n });
  });
});

describe('distribution point names', () => {
  const issuer = new Uint8Array(name('Test CA').toSchema().toBER());
  const crl1 = new Uint8Array(name('CRL1').toSchema().toBER());

  it('a name relative to the CRL issuer matches the same name written in full', () => {
    // fullName [0] { directoryName [4] { C=…, CN=Test CA, CN=CRL1 } } vs nameRelativeToCRLIssuer [1] { CN=CRL1 }
    const rdn = crl1.subarray(2); // the SET inside the one-RDN Name
    const fullNameContent = Uint8Array.from([...issuer.subarray(2), ...rdn]);
    const directoryName = Uint8Array.from([
      0xa4,
      fullNameContent.length + 2,
      0x30,
      fullNameContent.length,
      ...fullNameContent,
    ]);
    const full = readIssuingDistributionPoint(
      Uint8Array.from([
        0x30,
        directoryName.length + 4,
        0xa0,
        directoryName.length + 2,
        0xa0,
        directoryName.length,
        ...directoryName,
      ]),
      issuer,
    );
    const rdnContent = rdn.subarray(2);
    const relative = readIssuingDistributionPoint(
      Uint8Array.from([
        0x30,
        rdnContent.length + 4,
        0xa0,
        rdnContent.length + 2,
        0xa1,
        rdnContent.length,
        ...rdnContent,
      ]),
      issuer,
    );
    expect(full.names).not.toBeNull();
    expect([...(relative.names ?? [])]).toEqual([...(full.names ?? [])]);
    expect(full.reasons).toBe(ALL_REASONS);
  });

  it('onlySomeReasons and a certificate DP reasons field are read as ReasonFlags', () => {
    const idp = readIssuingDistributionPoint(Uint8Array.of(0x30, 0x04, 0x83, 0x02, 0x06, 0x40), issuer); // keyCompromise
    expect(idp.reasons).toBe(1 << 1);
    const points = readCrlDistributionPoints(Uint8Array.of(0x30, 0x06, 0x30, 0x04, 0x81, 0x02, 0x05, 0x60), issuer); // keyCompromise + cACompromise
    expect(points).toEqual([{ names: null, reasons: (1 << 1) | (1 << 2), hasCrlIssuer: false }]);
  });
});

describe("large CRLs (the card monitor reads a CA's whole CRL)", () => {
  it('reads every entry of a CRL with 20,000 entries (asn1js alone refused more than ~2,500)', () => {
    const entries = Array.from({ length: 20_000 }, (_, index) => ({
      serial: [0x10, (index >> 8) & 0xff, index & 0xff],
    }));
    const contents = contentsOf({ entries });
    expect(contents.unusable).toBeNull();
    expect(contents.entries.size).toBe(20_000);
    expect(contents.entries.has('104e1f')).toBe(true);
  });

  it('an entry that is not an entry makes the CRL unusable, not shorter', () => {
    const contents = contentsOf({
      entries: [{ serial: [0x01] }, { serial: [0x02], extensions: [extension(REASON, [0x04, 0x00])] }],
    });
    expect(contents.unusable).toMatch(/unreadable|reasonCode/);
    expect(contents.entries.size).toBe(0);
  });
});

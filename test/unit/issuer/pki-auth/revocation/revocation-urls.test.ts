// The card's CRL and OCSP URLs as the binding record stores them, read by the strict DER reader: the same answers
// @peculiar/x509 gave (which the binding used before, at 16% of a worker's CPU), and nothing from hostile shapes.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { cardRevocationSources } from '../../../../../issuer/lifecycle/binding.ts';
import { crlDistributionUrls, ocspUrls } from '../../../../../issuer/pki-auth/revocation/revocation-urls.ts';
import { DerFormatError } from '../../../../../issuer/der/strict-der.ts';
import { createTestPki, type TestPki } from '../../../../../virtual-card/test-pki.ts';

let pki: TestPki;

beforeAll(async () => {
  pki = await createTestPki();
});

/** The DER content (extnValue octets) of an extension @peculiar/x509 writes. */
const valueOf = (extension: x509.Extension): Uint8Array => new Uint8Array(extension.value);

describe('cardRevocationSources', () => {
  it('reads the CRL distribution point and the OCSP URL of a card certificate', async () => {
    const card = await pki.issueCardCertificate({
      keyAlgorithm: 'P-256',
      commonName: 'Rita Revocation',
      crlUrl: 'http://crl.example.gov/piv-auth.crl',
      ocspUrl: 'http://ocsp.example.gov/',
    });
    expect(cardRevocationSources(card.der)).toEqual({
      crlUrls: ['http://crl.example.gov/piv-auth.crl'],
      ocspUrl: 'http://ocsp.example.gov/',
    });
  });

  it('gives none when the certificate names none, and none for bytes that are not a certificate', async () => {
    const card = await pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Nora None' });
    expect(cardRevocationSources(card.der)).toEqual({ crlUrls: [], ocspUrl: null });
    expect(cardRevocationSources(card.der.subarray(0, card.der.length - 1))).toEqual({ crlUrls: [], ocspUrl: null });
    expect(cardRevocationSources(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))).toEqual({
      crlUrls: [],
      ocspUrl: null,
    });
  });
});

describe('crlDistributionUrls', () => {
  it('lists every URI of every fullName in order (LDAP ones too: the binding keeps only http and https)', () => {
    const extension = new x509.CRLDistributionPointsExtension([
      'http://a.example/1.crl',
      'ldap://dir.example/cn=CA?certificateRevocationList',
      'http://b.example/2.crl',
    ]);
    expect(crlDistributionUrls(valueOf(extension))).toEqual([
      'http://a.example/1.crl',
      'ldap://dir.example/cn=CA?certificateRevocationList',
      'http://b.example/2.crl',
    ]);
  });

  it('gives nothing for a point named relative to the CRL issuer or by cRLIssuer alone', () => {
    // SEQUENCE { SEQUENCE { [0] { [1] SET { SEQUENCE { OID 2.5.4.3, UTF8String "x" } } } } }
    const relative = Uint8Array.from([
      0x30, 0x12, 0x30, 0x10, 0xa0, 0x0e, 0xa1, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x03, 0x61, 0x62,
      0x63,
    ]);
    expect(crlDistributionUrls(relative)).toEqual([]);
    // SEQUENCE { SEQUENCE { [2] { [6] "http://c" } } }: only a cRLIssuer
    const issuerOnly = Uint8Array.from([0x30, 0x0e, 0x30, 0x0c, 0xa2, 0x0a, 0x86, 0x08, ...Buffer.from('http://c')]);
    expect(crlDistributionUrls(issuerOnly)).toEqual([]);
  });

  it.each([
    ['an empty list', [0x30, 0x00]],
    ['a point that is not a SEQUENCE', [0x30, 0x02, 0x04, 0x00]],
    ['a length running past the end', [0x30, 0x10, 0x30, 0x00]],
    ['trailing bytes', [0x30, 0x02, 0x30, 0x00, 0x00]],
  ])('refuses %s', (_case, bytes) => {
    expect(() => crlDistributionUrls(Uint8Array.from(bytes))).toThrow(DerFormatError);
  });

  it('refuses more distribution points than a card ever lists', () => {
    const many = new x509.CRLDistributionPointsExtension(Array.from({ length: 33 }, (_, i) => `http://x/${i}`));
    expect(() => crlDistributionUrls(valueOf(many))).toThrow(/more than 32/);
  });
});

describe('ocspUrls', () => {
  it('keeps only id-ad-ocsp locations, in order (caIssuers are not OCSP responders)', () => {
    const extension = new x509.AuthorityInfoAccessExtension({
      caIssuers: ['http://ca.example/ca.p7c'],
      ocsp: ['http://ocsp1.example/', 'http://ocsp2.example/'],
    });
    expect(ocspUrls(valueOf(extension))).toEqual(['http://ocsp1.example/', 'http://ocsp2.example/']);
  });

  it('skips an OCSP location that is not a URI', () => {
    const extension = new x509.AuthorityInfoAccessExtension({
      ocsp: [new x509.GeneralName('dns', 'ocsp.example'), new x509.GeneralName('url', 'http://ocsp.example/')],
    });
    expect(ocspUrls(valueOf(extension))).toEqual(['http://ocsp.example/']);
  });

  it.each([
    ['an empty list', [0x30, 0x00]],
    [
      'an AccessDescription without its location',
      [0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01],
    ],
    ['an accessMethod that is not an OID', [0x30, 0x06, 0x30, 0x04, 0x04, 0x00, 0x86, 0x00]],
  ])('refuses %s', (_case, bytes) => {
    expect(() => ocspUrls(Uint8Array.from(bytes))).toThrow(DerFormatError);
  });
});

// Differential test: what the strict DER reader (issuer/pki-auth/certificate-fields.ts) and the text helpers read from
// a certificate must be what @peculiar/x509 — the parser PKI-AUTH used before — reads from the same bytes, for
// every kind of certificate the test PKI makes (roots, intermediates with and without pathLenConstraint, RSA-2048 /
// P-256 / P-384 cards, content signers without a SAN) and for hand-made ones covering every keyUsage bit, several
// policies with qualifiers, SANs of every common form, serial numbers with a sign octet, names in other string types.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  CertificatePolicies,
  GeneralName,
  OtherName,
  PolicyInformation,
  PolicyQualifierInfo,
  SubjectAlternativeName,
} from '@peculiar/asn1-x509';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  parseCertificate,
  serialNumberHex,
  type ParsedCertificate,
} from '../../../issuer/pki-auth/parsed-certificate.ts';
import { cardholderIdentity } from '../../../issuer/pki-auth/identity.ts';
import {
  createCertificateAuthority,
  createTestPki,
  issueContentSigningCertificate,
  type CardKeyAlgorithm,
  type TestPki,
} from '../../../virtual-card/test-pki.ts';

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);
const FASCN_OID = '2.16.840.1.101.3.6.6';

function parsed(der: Uint8Array): ParsedCertificate {
  const result = parseCertificate(der);
  if (!result.ok) throw new Error(result.message);
  return result.certificate;
}

/** Everything PKI-AUTH reads, as @peculiar/x509 sees it. */
function peculiarView(der: Uint8Array) {
  const certificate = new x509.X509Certificate(der.slice());
  const basic = certificate.getExtension(x509.BasicConstraintsExtension);
  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  const policies = certificate.getExtension(x509.CertificatePolicyExtension);
  const san = certificate.getExtension('2.5.29.17');
  const names = san === null ? null : AsnConvert.parse(san.value, SubjectAlternativeName);
  return {
    serialNumber: certificate.serialNumber.toLowerCase(),
    subject: certificate.subject,
    issuer: certificate.issuer,
    commonName: certificate.subjectName.getField('CN')[0] ?? certificate.subject,
    notBefore: certificate.notBefore.getTime(),
    notAfter: certificate.notAfter.getTime(),
    extensions: certificate.extensions.map((extension) => [extension.type, extension.critical]),
    basicConstraints: basic === null ? null : { ca: basic.ca, pathLength: basic.pathLength },
    keyUsage: keyUsage === null ? null : keyUsage.usages,
    policies: policies === null ? null : policies.policies,
    uris:
      names === null
        ? null
        : names.flatMap((name) =>
            name.uniformResourceIdentifier === undefined ? [] : [name.uniformResourceIdentifier],
          ),
    otherNames:
      names === null
        ? null
        : names.flatMap((name) =>
            name.otherName === undefined
              ? []
              : [
                  {
                    typeId: name.otherName.typeId,
                    octetString: octetStringHex(name.otherName.value),
                  },
                ],
          ),
  };
}

function octetStringHex(value: ArrayBuffer): string | null {
  try {
    return Buffer.from(AsnConvert.parse(value, OctetString).buffer).toString('hex');
  } catch {
    return null; // not an OCTET STRING: the reader must say null too
  }
}

function strictView(der: Uint8Array) {
  const certificate = parsed(der);
  const { fields } = certificate;
  const { extensions } = fields;
  return {
    serialNumber: certificate.serialNumber,
    subject: certificate.subject,
    issuer: certificate.issuer,
    commonName: certificate.commonName,
    notBefore: fields.notBefore.getTime(),
    notAfter: fields.notAfter.getTime(),
    extensions: [...extensions.present.entries()],
    basicConstraints: extensions.basicConstraints,
    keyUsage: extensions.keyUsage,
    policies: extensions.certificatePolicies,
    uris: extensions.subjectAltName?.uris ?? null,
    otherNames:
      extensions.subjectAltName?.otherNames.map((name) => ({
        typeId: name.typeId,
        octetString: name.octetString === null ? null : Buffer.from(name.octetString).toString('hex'),
      })) ?? null,
  };
}

function expectSameView(der: Uint8Array): void {
  expect(strictView(der)).toEqual(peculiarView(der));
}

let pki: TestPki;
let keys: CryptoKeyPair;
beforeAll(async () => {
  pki = await createTestPki();
  keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
});

async function handMade(options: {
  extensions: x509.Extension[];
  name?: string;
  serialNumber?: string;
}): Promise<Uint8Array> {
  const made = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: options.serialNumber ?? '01',
      name: options.name ?? 'CN=Differential, O=Test, C=US',
      notBefore: new Date('2024-02-29T12:34:56Z'),
      notAfter: new Date('2051-01-01T00:00:00Z'),
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: options.extensions,
    },
    crypto,
  );
  return new Uint8Array(made.rawData);
}

describe('strict DER reading agrees with @peculiar/x509', () => {
  it('on the test PKI root and intermediate, and on CAs with pathLenConstraint 0, 3 and none, RSA and EC', async () => {
    expectSameView(pki.root.der);
    expectSameView(pki.intermediate.der);
    for (const [pathLength, keyAlgorithm] of [
      [0, 'P-384'],
      [3, 'RSA-2048'],
      [undefined, 'P-256'],
    ] as const) {
      const ca = await createCertificateAuthority({
        commonName: `Diff CA ${String(pathLength)}`,
        keyAlgorithm,
        issuer: pki.root,
        pathLength,
      });
      expectSameView(ca.der);
    }
  });

  it('on card certificates of every key algorithm, with CRL and OCSP pointers, several policies and a given serial', async () => {
    for (const keyAlgorithm of ['RSA-2048', 'P-256', 'P-384'] as CardKeyAlgorithm[]) {
      const card = await pki.issueCardCertificate({ keyAlgorithm, commonName: `Diff ${keyAlgorithm}` });
      expectSameView(card.der);
      // The identity comes out as the test PKI put it in.
      expect(cardholderIdentity(parsed(card.der))).toEqual({
        ok: true,
        uuid: card.uuid,
        fascnHex: Buffer.from(card.fascn).toString('hex'),
      });
    }
    const card = await pki.issueCardCertificate({
      keyAlgorithm: 'P-256',
      commonName: 'Diff Pointers',
      crlUrl: 'http://127.0.0.1:1/crl',
      ocspUrl: 'http://127.0.0.1:1/ocsp',
      policies: ['2.16.840.1.101.3.2.1.3.13', '2.16.840.1.101.3.2.1.3.7'],
      serialNumber: 'ff0102',
    });
    expectSameView(card.der);
    expect(parsed(card.der).serialNumber).toBe('ff0102');
    expect(serialNumberHex(parsed(card.der))).toBe('00ff0102'); // the matching key keeps the sign octet
  });

  it('reads a 128-bit OID arc (2.25.<UUID>) exactly, where asn1js prints it garbled', async () => {
    const uuidPolicy = '2.25.329800735698586629295641978511506172918';
    const card = await pki.issueCardCertificate({
      keyAlgorithm: 'P-256',
      commonName: 'Diff UUID OID',
      policies: ['2.16.840.1.101.3.2.1.3.13', uuidPolicy],
    });
    expect(parsed(card.der).fields.extensions.certificatePolicies).toEqual(['2.16.840.1.101.3.2.1.3.13', uuidPolicy]);
    expect(peculiarView(card.der).policies?.[1]).not.toBe(uuidPolicy);
  });

  it('on a content signing certificate (no SAN)', async () => {
    const signer = await issueContentSigningCertificate(pki.intermediate);
    expectSameView(signer.der);
    expect(parsed(signer.der).fields.extensions.subjectAltName).toBeNull();
  });

  it('on every keyUsage bit alone and on combinations', async () => {
    for (let bit = 0; bit < 9; bit += 1)
      expectSameView(await handMade({ extensions: [new x509.KeyUsagesExtension(1 << bit, true)] }));
    expectSameView(await handMade({ extensions: [new x509.KeyUsagesExtension(0x1ff as x509.KeyUsageFlags, false)] }));
    expectSameView(
      await handMade({
        extensions: [
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement | x509.KeyUsageFlags.decipherOnly,
            true,
          ),
        ],
      }),
    );
  });

  it('on policies with qualifiers, SANs of every common form, no extensions, and other name string types', async () => {
    const policies = new CertificatePolicies([
      new PolicyInformation({
        policyIdentifier: '2.16.840.1.101.3.2.1.3.13',
        policyQualifiers: [
          new PolicyQualifierInfo({
            policyQualifierId: '1.3.6.1.5.5.7.2.1',
            qualifier: AsnConvert.serialize(new OctetString(new Uint8Array([1, 2]))),
          }),
        ],
      }),
      new PolicyInformation({ policyIdentifier: '2.5.29.32.0' }),
    ]);
    const san = new SubjectAlternativeName([
      new GeneralName({ dNSName: 'card.example' }),
      new GeneralName({ rfc822Name: 'holder@example.gov' }),
      new GeneralName({ iPAddress: '127.0.0.1' }),
      new GeneralName({ registeredID: '1.2.3.4' }),
      new GeneralName({ uniformResourceIdentifier: 'urn:uuid:3c1a2b4d-0000-4000-8000-00000000abcd' }),
      new GeneralName({
        otherName: new OtherName({
          typeId: FASCN_OID,
          value: AsnConvert.serialize(new OctetString(new Uint8Array(25).fill(0xd4))),
        }),
      }),
      new GeneralName({
        otherName: new OtherName({
          typeId: '1.3.6.1.4.1.311.20.2.3',
          value: new Uint8Array([0x0c, 0x02, 0x68, 0x69]).buffer,
        }),
      }),
    ]);
    expectSameView(
      await handMade({
        extensions: [
          new x509.Extension('2.5.29.32', false, AsnConvert.serialize(policies)),
          new x509.Extension('2.5.29.17', true, AsnConvert.serialize(san)),
          new x509.BasicConstraintsExtension(false, undefined, false),
        ],
      }),
    );
    expectSameView(await handMade({ extensions: [] }));
    expectSameView(
      await handMade({
        extensions: [],
        name: 'CN=Ünïcödé Holder, OU=a\\+b, O="Quoted, Inc.", E=holder@example.gov',
        serialNumber: '00',
      }),
    );
    expectSameView(await handMade({ extensions: [], name: 'O=No Common Name', serialNumber: '7f' }));
  });
});

// The DER writer behind issued certificates, checked against an independent ASN.1 parser (@peculiar/asn1-x509).
import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Name, Time } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { softwareCaSigner } from '../../../issuer/ca/ca-signer.ts';
import { buildCertificate, keyIdentifier } from '../../../issuer/ca/certificate-builder.ts';
import { OID, derLength, distinguishedName, integer, objectIdentifier, time } from '../../../issuer/ca/der.ts';
import { keyUsage, subjectAltName } from '../../../issuer/ca/extensions.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('DER writer', () => {
  it('encodes lengths, integers and object identifiers as X.690 says', () => {
    expect(hex(derLength(127))).toBe('7f');
    expect(hex(derLength(128))).toBe('8180');
    expect(hex(derLength(65_536))).toBe('83010000');
    expect(hex(integer(Uint8Array.of(0x80)))).toBe('02020080');
    expect(hex(integer(Uint8Array.of(0, 0, 0x7f)))).toBe('02017f');
    expect(hex(objectIdentifier('2.16.840.1.101.3.2.1.3.40'))).toBe('060a6086480165030201032' + '8');
  });

  it('uses UTCTime through 2049 and GeneralizedTime from 2050, whole seconds', () => {
    const before = AsnConvert.parse(time(new Date('2049-12-31T23:59:59.999Z')), Time);
    expect(before.utcTime?.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    const after = AsnConvert.parse(time(new Date('2050-01-01T00:00:00Z')), Time);
    expect(after.generalTime?.toISOString()).toBe('2050-01-01T00:00:00.000Z');
  });

  it('writes names, key usage bits and SANs that another parser reads back', async () => {
    const name = distinguishedName([
      [OID.commonName, 'Zoë Ü. O\'Brien, "Jr"'],
      [OID.countryName, 'US'],
    ]);
    expect(new x509.Name(AsnConvert.parse(name, Name)).getField('CN')).toEqual(['Zoë Ü. O\'Brien, "Jr"']);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const signer = softwareCaSigner(privateKey);
    const der = await buildCertificate(
      {
        serialNumber: Uint8Array.of(0x7f, 1, 2),
        issuerNameDer: name,
        subjectNameDer: name,
        notBefore: new Date('2030-01-01T00:00:00Z'),
        notAfter: new Date('2060-01-01T00:00:00Z'),
        subjectPublicKeySpkiDer: signer.publicKeySpkiDer,
        extensions: [
          keyUsage(['keyCertSign', 'cRLSign']),
          subjectAltName([{ uri: 'urn:uuid:x' }, { ip: '::1' }, { ip: '10.0.0.1' }]),
        ],
      },
      signer,
    );
    AsnConvert.parse(der, Certificate);
    const certificate = new x509.X509Certificate(der.slice());
    expect(certificate.serialNumber).toBe('7f0102');
    expect(certificate.notAfter.toISOString()).toBe('2060-01-01T00:00:00.000Z');
    expect(certificate.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
    expect(
      certificate.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((item) => item.value),
    ).toEqual(['urn:uuid:x', '::1', '10.0.0.1']);
    expect(await certificate.verify({ signatureOnly: true })).toBe(true);
    expect(hex(keyIdentifier(signer.publicKeySpkiDer))).toHaveLength(40);
  });
});

// Assembles an X.509 v3 certificate from its parts and has a CaSigner sign the TBS bytes. Building the TBS
// ourselves (with @peculiar/asn1-x509) instead of handing a CryptoKey to a generator is what lets the key live
// in an HSM: the signer only ever sees bytes to sign.
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  Certificate, Extension as AsnExtension, Extensions, Name as AsnName, SubjectPublicKeyInfo, TBSCertificate, Validity,
  Version,
} from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import type { CaSigner } from './ca-signer.ts';

export interface CertificateParts {
  serialNumber: Uint8Array;
  issuerNameDer: Uint8Array;
  subjectNameDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  subjectPublicKeySpkiDer: Uint8Array;
  /** Built with @peculiar/x509's extension classes. */
  extensions: x509.Extension[];
}

/** 16 random bytes, top bit cleared so the INTEGER stays positive, never zero (RFC 5280 §4.1.2.2). */
export function newSerialNumber(): Uint8Array {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  return new Uint8Array(serial);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifierHex(spkiDer: Uint8Array): string {
  const spki = AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
  return createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest('hex');
}

export function nameDer(name: x509.JsonName): Uint8Array {
  return new Uint8Array(new x509.Name(name).toArrayBuffer());
}

export async function buildCertificate(parts: CertificateParts, signer: CaSigner): Promise<Uint8Array> {
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: parts.serialNumber.slice().buffer,
    signature: signer.signatureAlgorithm,
    issuer: AsnConvert.parse(parts.issuerNameDer, AsnName),
    validity: new Validity({ notBefore: parts.notBefore, notAfter: parts.notAfter }),
    subject: AsnConvert.parse(parts.subjectNameDer, AsnName),
    subjectPublicKeyInfo: AsnConvert.parse(parts.subjectPublicKeySpkiDer, SubjectPublicKeyInfo),
    extensions: new Extensions(parts.extensions.map((extension) => AsnConvert.parse(extension.rawData, AsnExtension))),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await signer.sign(tbsDer);
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: signer.signatureAlgorithm,
    signatureValue: signature.slice().buffer,
  });
  return new Uint8Array(AsnConvert.serialize(certificate));
}

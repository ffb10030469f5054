// The derived PIV Authentication certificate (SP 800-157 §3.2, FPKI common policy): policy
// id-fpki-common-derived-pivAuth, EKU clientAuth, keyUsage digitalSignature (critical), SAN urn:uuid of the
// cardholder, and a lifetime that never passes the card's own PIV Authentication certificate.
import * as x509 from '@peculiar/x509';
import { buildCertificate, keyIdentifierHex, nameDer, newSerialNumber } from './certificate-builder.ts';
import type { IssuingCa } from './issuing-ca.ts';

export const ID_FPKI_COMMON_DERIVED_PIV_AUTH = '2.16.840.1.101.3.2.1.3.40';
const ID_KP_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 86_400_000;

export interface DerivedCertificateRequest {
  subjectPublicKeySpkiDer: Uint8Array;
  cardholderCommonName: string;
  cardholderUuid: string;
  cardCertificateNotAfter: Date;
  lifetimeDays: number;
  now: Date;
}

export interface IssuedCertificate {
  certificateDer: Uint8Array;
  serialNumberHex: string;
  notBefore: Date;
  notAfter: Date;
}

export function derivedNotAfter(now: Date, lifetimeDays: number, cardNotAfter: Date): Date {
  return new Date(Math.min(now.getTime() + lifetimeDays * DAY_MS, cardNotAfter.getTime()));
}

export async function issueDerivedCertificate(ca: IssuingCa, request: DerivedCertificateRequest): Promise<IssuedCertificate> {
  const serialNumber = newSerialNumber();
  // A minute of back-dating absorbs clock skew between the issuer and relying parties.
  const notBefore = new Date(request.now.getTime() - 60_000);
  const notAfter = derivedNotAfter(request.now, request.lifetimeDays, request.cardCertificateNotAfter);
  const certificateDer = await buildCertificate({
    serialNumber,
    issuerNameDer: new Uint8Array(ca.certificate.subjectName.toArrayBuffer()),
    subjectNameDer: nameDer([{ CN: [request.cardholderCommonName] }]),
    notBefore, notAfter,
    subjectPublicKeySpkiDer: request.subjectPublicKeySpkiDer,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([ID_KP_CLIENT_AUTH], false),
      new x509.CertificatePolicyExtension([ID_FPKI_COMMON_DERIVED_PIV_AUTH], false),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `urn:uuid:${request.cardholderUuid}` }], false),
      new x509.SubjectKeyIdentifierExtension(keyIdentifierHex(request.subjectPublicKeySpkiDer)),
      new x509.AuthorityKeyIdentifierExtension(ca.keyIdentifierHex),
    ],
  }, ca.signer);
  return { certificateDer, serialNumberHex: Buffer.from(serialNumber).toString('hex'), notBefore, notAfter };
}

// A PKCS#10 CertificationRequest (RFC 2986 §4) signed by a key the caller cannot read: the device key store signs
// the CertificationRequestInfo's DER, this module wraps it. ECDSA with SHA-256 only (the keys are P-256).
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
/** ub-common-name (RFC 5280 Appendix A). */
export const MAX_COMMON_NAME_LENGTH = 64;

/** `sign` receives the DER of CertificationRequestInfo and returns a DER ECDSA-Sig-Value over SHA-256 of it. */
export async function buildCertificationRequest(
  commonName: string,
  publicKeySpkiDer: Uint8Array,
  sign: (info: Uint8Array) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const info = new CertificationRequestInfo({
    subject: new Name([
      new RelativeDistinguishedName([
        new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: commonName }) }),
      ]),
    ]),
    subjectPKInfo: AsnConvert.parse(publicKeySpkiDer, SubjectPublicKeyInfo),
  });
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const signature = await sign(infoDer);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
    signature: new Uint8Array(signature).buffer,
  });
  return new Uint8Array(AsnConvert.serialize(request));
}

/**
 * The CHUID's issuer asymmetric signature (tag 3E): a CMS SignedData over the CHUID's preceding
 * TLVs, detached (no eContent), eContentType id-PIV-CHUIDSecurityObject, signed attributes
 * content-type and message-digest, the content signer's certificate included (SP 800-73-4 §3.1.2,
 * FIPS 201 §4.2.1). The content signing certificate comes from the test PKI like everything else.
 */
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { IssuedCardCertificate } from './test-pki.ts';

const ID_PIV_CHUID_SECURITY_OBJECT = '2.16.840.1.101.3.6.1';
const ID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const ID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';

const engine = new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto });

/** DER ContentInfo { signedData } signing `signedContent` with the content signer's key (SHA-256). */
export async function signChuidContent(signedContent: Uint8Array, signer: IssuedCardCertificate): Promise<Uint8Array> {
  const certificate = pkijs.Certificate.fromBER(Uint8Array.from(signer.der));
  const digest = createHash('sha256').update(signedContent).digest();
  const signedData = new pkijs.SignedData({
    version: 3,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: ID_PIV_CHUID_SECURITY_OBJECT }),
    certificates: [certificate],
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            new pkijs.Attribute({
              type: ID_CONTENT_TYPE,
              values: [new asn1js.ObjectIdentifier({ value: ID_PIV_CHUID_SECURITY_OBJECT })],
            }),
            new pkijs.Attribute({ type: ID_MESSAGE_DIGEST, values: [new asn1js.OctetString({ valueHex: digest })] }),
          ],
        }),
      }),
    ],
  });
  await signedData.sign(signer.keys.privateKey, 0, 'SHA-256', undefined, engine);
  const contentInfo = new pkijs.ContentInfo({ contentType: ID_SIGNED_DATA, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

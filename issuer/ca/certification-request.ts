// A PKCS#10 certification request (RFC 2986 §4) for the issuing CA's own key, signed through a CaSigner: what a
// key ceremony hands to an offline root when the CA is not self-signed.
import type { CaSigner } from './ca-signer.ts';
import { bitString, sequence, smallInteger, tlv } from './der.ts';

export async function buildCertificationRequest(subjectNameDer: Uint8Array, signer: CaSigner): Promise<Uint8Array> {
  const info = sequence(
    smallInteger(0),
    subjectNameDer,
    signer.publicKeySpkiDer,
    // attributes [0] IMPLICIT SET OF Attribute: none (the root decides the CA's extensions).
    tlv(0xa0),
  );
  const signature = await signer.sign(info);
  return sequence(info, signer.signatureAlgorithmDer, bitString(signature));
}

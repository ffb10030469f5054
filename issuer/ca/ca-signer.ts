// The issuing CA's private key operation behind one small interface, so a PKCS#11 HSM can implement it later
// (the key never has to leave the token: the issuer only ever asks for a signature over TBS bytes).
import { createPublicKey, sign as nodeSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { objectIdentifier, sequence } from './der.ts';

export interface CaSigner {
  /** DER AlgorithmIdentifier of the signatures this signer makes. */
  readonly signatureAlgorithmDer: Uint8Array;
  /** The CA public key, SubjectPublicKeyInfo DER. */
  readonly publicKeySpkiDer: Uint8Array;
  /** Signs `data` (the DER of a TBSCertificate / TBSCertList); ECDSA signatures are returned DER-encoded. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

/** The embedded default: a software key (PKCS#8 from the data dir or a file). */
export function softwareCaSigner(privateKey: KeyObject): CaSigner {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const details = privateKey.asymmetricKeyDetails ?? {};
  let algorithm: string;
  let hash: 'sha256' | 'sha384';
  if (privateKey.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') {
    algorithm = ECDSA_WITH_SHA256; hash = 'sha256';
  } else if (privateKey.asymmetricKeyType === 'ec' && details.namedCurve === 'secp384r1') {
    algorithm = ECDSA_WITH_SHA384; hash = 'sha384';
  } else if (privateKey.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) {
    algorithm = SHA256_WITH_RSA; hash = 'sha256';
  } else {
    throw new Error('CA key must be EC P-256, EC P-384 or RSA of at least 2048 bits');
  }
  // RSA algorithm identifiers carry an explicit NULL parameter; ECDSA ones have none (RFC 5758 §3.2).
  const signatureAlgorithmDer = algorithm === SHA256_WITH_RSA
    ? sequence(objectIdentifier(algorithm), Uint8Array.of(0x05, 0x00))
    : sequence(objectIdentifier(algorithm));
  return {
    signatureAlgorithmDer,
    publicKeySpkiDer: new Uint8Array(spki),
    sign: (data) => Promise.resolve(new Uint8Array(nodeSign(hash, data, { key: privateKey, dsaEncoding: 'der' }))),
  };
}

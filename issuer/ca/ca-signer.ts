// The issuing CA's private key operation behind one small interface, so a PKCS#11 HSM can implement it
// (the key never has to leave the token: the issuer only ever asks for a signature over TBS bytes). The PKCS#11
// signer is ca/pkcs11-ca-signer.ts.
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

/** Why a signature could not be made: the key's store (an HSM) is unreachable or refused. Issuance fails closed. */
export class CaSignerUnavailableError extends Error {
  readonly code = 'ca-unavailable';
  constructor(
    /** What the store said (a CKR_ name or own code of native/pkcs11), for logs and metrics; never secret. */
    readonly reason: string,
  ) {
    super(`the CA key cannot sign now (${reason})`);
    this.name = 'CaSignerUnavailableError';
  }
}

/** How the signer is doing, for /readyz and /metrics. */
export type CaSignerHealth = { ok: true } | { ok: false; reason: string };

/** What every CA signer offers besides signing (the software key is always healthy). */
export interface OperatedCaSigner extends CaSigner {
  readonly kind: 'software' | 'pkcs11';
  /** Checks the key can sign now (an HSM: a real signature over a probe). */
  health(): Promise<CaSignerHealth>;
  close(): Promise<void>;
}

export interface SignatureAlgorithm {
  /** DER AlgorithmIdentifier. */
  der: Uint8Array;
  hash: 'sha256' | 'sha384';
  keyType: 'ec' | 'rsa';
}

/** The signature algorithm a CA key signs with, from its public key: P-256 → ECDSA-SHA256, P-384 → ECDSA-SHA384, RSA → SHA256withRSA. */
export function signatureAlgorithmFor(publicKey: KeyObject): SignatureAlgorithm {
  const details = publicKey.asymmetricKeyDetails ?? {};
  if (publicKey.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') {
    return { der: sequence(objectIdentifier(ECDSA_WITH_SHA256)), hash: 'sha256', keyType: 'ec' };
  }
  if (publicKey.asymmetricKeyType === 'ec' && details.namedCurve === 'secp384r1') {
    return { der: sequence(objectIdentifier(ECDSA_WITH_SHA384)), hash: 'sha384', keyType: 'ec' };
  }
  if (publicKey.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) {
    // RSA algorithm identifiers carry an explicit NULL parameter; ECDSA ones have none (RFC 5758 §3.2).
    return {
      der: sequence(objectIdentifier(SHA256_WITH_RSA), Uint8Array.of(0x05, 0x00)),
      hash: 'sha256',
      keyType: 'rsa',
    };
  }
  throw new Error('CA key must be EC P-256, EC P-384 or RSA of at least 2048 bits');
}

/** The embedded default: a software key (PKCS#8 from the data dir or a file). */
export function softwareCaSigner(privateKey: KeyObject): OperatedCaSigner {
  const publicKey = createPublicKey(privateKey);
  const algorithm = signatureAlgorithmFor(publicKey);
  return {
    kind: 'software',
    signatureAlgorithmDer: algorithm.der,
    publicKeySpkiDer: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    sign: (data) =>
      Promise.resolve(new Uint8Array(nodeSign(algorithm.hash, data, { key: privateKey, dsaEncoding: 'der' }))),
    health: () => Promise.resolve({ ok: true }),
    close: () => Promise.resolve(),
  };
}

// Parses a PKCS#10 request (RFC 2986) from the phone, enforces the key policy and validates the key
// (public-key-policy.ts: RSA 2048–4096 with a sound exponent and modulus, EC P-256/P-384 points on the curve)
// BEFORE OpenSSL imports the key or touches the signature, then checks the self-signature.
// The request is read with the strict DER reader PKI-AUTH uses (issuer/der/): the signed
// certificationRequestInfo and the SubjectPublicKeyInfo are taken as the exact bytes that were sent.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { pemToDerList } from './pem.ts';
import {
  DerFormatError,
  DerReader,
  TAG,
  checkWellFormed,
  contextConstructed,
  derFail,
  encodedOf,
  readBitString,
  readOid,
  readSmallInteger,
  readWhole,
} from '../der/strict-der.ts';
import { checkName } from '../pki-auth/certificate-extensions.ts';
import { readPublicKeyInfo } from '../der/public-key-info.ts';
import { checkPublicKey } from './public-key-policy.ts';
import type { KeyVerdict } from './public-key-policy.ts';

export type CsrCheck =
  | { ok: true; subjectPublicKeySpkiDer: Uint8Array; keyAlgorithm: string }
  | { ok: false; code: 'csr-invalid' | 'csr-weak-key' | 'csr-bad-signature'; message: string };

const SIGNATURE_HASHES: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};
const ECDSA_SIGNATURES = new Set(['1.2.840.10045.4.3.2', '1.2.840.10045.4.3.3', '1.2.840.10045.4.3.4']);
const MAX_CSR_DER_BYTES = 6000;

function csrDer(text: string): Uint8Array | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    const [der] = pemToDerList(trimmed, 'CERTIFICATE REQUEST');
    return der ?? pemToDerList(trimmed, 'NEW CERTIFICATE REQUEST')[0] ?? null;
  }
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed)) return null;
  return new Uint8Array(Buffer.from(trimmed, 'base64url'));
}

/** What checkCsr needs from the request, as the exact bytes that were sent. */
interface RequestParts {
  readonly info: Uint8Array;
  readonly spki: Uint8Array;
  /** The key policy's and the key validation's verdict, from the SPKI's DER. */
  readonly key: KeyVerdict;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
}

/**
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
 * CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) }, subject Name, subjectPKInfo, attributes [0] }
 */
function readRequest(der: Uint8Array): RequestParts {
  const request = new DerReader(der, readWhole(der, TAG.SEQUENCE, 'CertificationRequest'), 'CertificationRequest');
  const infoElement = request.next(TAG.SEQUENCE, 'certificationRequestInfo');
  const algorithm = new DerReader(der, request.next(TAG.SEQUENCE, 'signatureAlgorithm'), 'signatureAlgorithm');
  const signatureBits = readBitString(der, request.next(TAG.BIT_STRING, 'signature'));
  request.done();
  const signatureAlgorithm = readOid(der, algorithm.next(TAG.OID, 'algorithm'));
  // ECDSA has no parameters, RSA PKCS#1 v1.5 a NULL: anything else does not belong to an accepted algorithm.
  algorithm.optional(TAG.NULL, 'parameters');
  algorithm.done();
  if (signatureBits.unusedBits !== 0) derFail('signature BIT STRING with unused bits');

  const info = new DerReader(der, infoElement, 'certificationRequestInfo');
  if (readSmallInteger(der, info.next(TAG.INTEGER, 'version'), 0) !== 0) derFail('version is not v1');
  checkName(der, info.next(TAG.SEQUENCE, 'subject'));
  const spkiElement = info.next(TAG.SEQUENCE, 'subjectPKInfo');
  const keyInfo = readPublicKeyInfo(der, spkiElement);
  // attributes [0] IMPLICIT SET OF Attribute: required by RFC 2986, but some encoders leave an empty set out.
  const attributes = info.optional(contextConstructed(0), 'attributes');
  if (attributes !== null) checkWellFormed(der, attributes, 12);
  info.done();
  return {
    info: encodedOf(der, infoElement),
    spki: encodedOf(der, spkiElement),
    key: checkPublicKey(keyInfo),
    signatureAlgorithm,
    signature: signatureBits.bytes,
  };
}

export function checkCsr(text: string): CsrCheck {
  const der = csrDer(text);
  if (der === null || der.length === 0)
    return { ok: false, code: 'csr-invalid', message: 'The CSR is neither PEM nor base64url DER.' };
  if (der.length > MAX_CSR_DER_BYTES) return { ok: false, code: 'csr-invalid', message: 'The CSR is too large.' };
  let parts: RequestParts;
  try {
    parts = readRequest(der);
  } catch (error: unknown) {
    // Anything but a DerFormatError would be a defect of the reader: still a refusal, never an accepted request.
    const reason = error instanceof DerFormatError ? error.message : 'parse error';
    return { ok: false, code: 'csr-invalid', message: `The CSR is not a PKCS#10 request (${reason.slice(0, 100)}).` };
  }
  // A refused key is never handed to OpenSSL (see public-key-policy.ts for what importing one can do).
  if (!parts.key.ok) return { ok: false, code: 'csr-weak-key', message: parts.key.message };
  const accepted = parts.key.key;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(parts.spki), format: 'der', type: 'spki' });
  } catch (error: unknown) {
    return {
      ok: false,
      code: 'csr-weak-key',
      message: `The CSR's public key is not an accepted key (${error instanceof Error ? error.message.slice(0, 100) : 'unknown'}).`,
    };
  }
  // The DER reading decides; OpenSSL's key must be of the same type (its key details are never asked for).
  if (key.asymmetricKeyType !== accepted.type) {
    return {
      ok: false,
      code: 'csr-weak-key',
      message: `The CSR's public key (${accepted.name}) is not read the same way by every parser.`,
    };
  }
  const hash = SIGNATURE_HASHES[parts.signatureAlgorithm];
  if (hash === undefined)
    return {
      ok: false,
      code: 'csr-invalid',
      message: `The CSR's signature algorithm ${parts.signatureAlgorithm} is not accepted.`,
    };
  if (ECDSA_SIGNATURES.has(parts.signatureAlgorithm) !== (accepted.type === 'ec')) {
    return {
      ok: false,
      code: 'csr-invalid',
      message: `The CSR's signature algorithm ${parts.signatureAlgorithm} does not fit its ${accepted.name} key.`,
    };
  }
  let valid: boolean;
  try {
    valid = nodeVerify(hash, parts.info, key, parts.signature);
  } catch (error: unknown) {
    return {
      ok: false,
      code: 'csr-bad-signature',
      message: `The CSR's signature cannot be checked (${error instanceof Error ? error.message.slice(0, 100) : 'error'}).`,
    };
  }
  if (!valid)
    return {
      ok: false,
      code: 'csr-bad-signature',
      message: 'The CSR is not signed by its own key (bad self-signature).',
    };
  return { ok: true, subjectPublicKeySpkiDer: new Uint8Array(parts.spki), keyAlgorithm: accepted.name };
}

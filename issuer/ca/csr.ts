// Parses a PKCS#10 request (RFC 2986) from the phone, enforces the key policy (RSA 2048–4096, EC P-256/P-384)
// BEFORE touching the signature (so odd curves never reach a signature check), then checks the self-signature.
// The request is read with the strict DER reader PKI-AUTH uses (issuer/der/): the signed
// certificationRequestInfo and the SubjectPublicKeyInfo are taken as the exact bytes that were sent.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { pemToDerList } from './pem.ts';
import {
  DerFormatError, DerReader, TAG, checkWellFormed, contextConstructed, derFail, encodedOf, readBitString, readOid,
  readSmallInteger, readWhole,
} from '../der/strict-der.ts';
import { checkName } from '../pki-auth/certificate-extensions.ts';
import { readPublicKeyInfo } from '../der/public-key-info.ts';

export type CsrCheck =
  | { ok: true; subjectPublicKeySpkiDer: Uint8Array; keyAlgorithm: string }
  | { ok: false; code: 'csr-invalid' | 'csr-weak-key' | 'csr-bad-signature'; message: string };

const SIGNATURE_HASHES: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
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

function keyPolicy(key: KeyObject): { ok: true; name: string } | { ok: false; message: string } {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < 2048) return { ok: false, message: `RSA keys must be at least 2048 bits (this one has ${bits}).` };
    if (bits > 4096) return { ok: false, message: `RSA keys above 4096 bits are not accepted (this one has ${bits}).` };
    return { ok: true, name: `RSA-${bits}` };
  }
  if (key.asymmetricKeyType === 'ec') {
    if (details.namedCurve === 'prime256v1') return { ok: true, name: 'P-256' };
    if (details.namedCurve === 'secp384r1') return { ok: true, name: 'P-384' };
    return { ok: false, message: `Only P-256 and P-384 elliptic-curve keys are accepted (this one is ${details.namedCurve ?? 'unknown'}).` };
  }
  return { ok: false, message: `Only RSA and elliptic-curve keys are accepted (this one is ${key.asymmetricKeyType ?? 'unknown'}).` };
}

/** What checkCsr needs from the request, as the exact bytes that were sent. */
interface RequestParts {
  readonly info: Uint8Array;
  readonly spki: Uint8Array;
  /** Name of an accepted key as decided from the SPKI's DER, or null (then OpenSSL's view explains the refusal). */
  readonly acceptedKey: { name: string; type: 'rsa' | 'ec' } | null;
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
    acceptedKey: acceptedKeyOf(keyInfo.algorithm, keyInfo.namedCurve, keyInfo.rsaModulusBits),
    signatureAlgorithm,
    signature: signatureBits.bytes,
  };
}

function acceptedKeyOf(algorithm: string, namedCurve: string | null, rsaBits: number | null): RequestParts['acceptedKey'] {
  if (algorithm === '1.2.840.113549.1.1.1' && rsaBits !== null && rsaBits >= 2048 && rsaBits <= 4096) return { name: `RSA-${rsaBits}`, type: 'rsa' };
  if (algorithm === '1.2.840.10045.2.1' && namedCurve === '1.2.840.10045.3.1.7') return { name: 'P-256', type: 'ec' };
  if (algorithm === '1.2.840.10045.2.1' && namedCurve === '1.3.132.0.34') return { name: 'P-384', type: 'ec' };
  return null;
}

export function checkCsr(text: string): CsrCheck {
  const der = csrDer(text);
  if (der === null || der.length === 0) return { ok: false, code: 'csr-invalid', message: 'The CSR is neither PEM nor base64url DER.' };
  if (der.length > MAX_CSR_DER_BYTES) return { ok: false, code: 'csr-invalid', message: 'The CSR is too large.' };
  let parts: RequestParts;
  try {
    parts = readRequest(der);
  } catch (error: unknown) {
    // Anything but a DerFormatError would be a defect of the reader: still a refusal, never an accepted request.
    const reason = error instanceof DerFormatError ? error.message : 'parse error';
    return { ok: false, code: 'csr-invalid', message: `The CSR is not a PKCS#10 request (${reason.slice(0, 100)}).` };
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(parts.spki), format: 'der', type: 'spki' });
  } catch (error: unknown) {
    // An unknown curve OID lands here too: that is a key we refuse, not a malformed request.
    return { ok: false, code: 'csr-weak-key', message: `The CSR's public key is not an accepted key (${error instanceof Error ? error.message.slice(0, 100) : 'unknown'}).` };
  }
  // The DER reading decides; OpenSSL's key must be of the same type. Its (costlier) details only explain a refusal.
  const accepted = parts.acceptedKey !== null && key.asymmetricKeyType === parts.acceptedKey.type ? parts.acceptedKey : null;
  if (accepted === null) {
    const policy = keyPolicy(key);
    return { ok: false, code: 'csr-weak-key', message: policy.ok ? `The CSR's public key (${policy.name}) is not read the same way by every parser.` : policy.message };
  }
  const hash = SIGNATURE_HASHES[parts.signatureAlgorithm];
  if (hash === undefined) return { ok: false, code: 'csr-invalid', message: `The CSR's signature algorithm ${parts.signatureAlgorithm} is not accepted.` };
  if (ECDSA_SIGNATURES.has(parts.signatureAlgorithm) !== (accepted.type === 'ec')) {
    return { ok: false, code: 'csr-invalid', message: `The CSR's signature algorithm ${parts.signatureAlgorithm} does not fit its ${accepted.name} key.` };
  }
  let valid: boolean;
  try {
    valid = nodeVerify(hash, parts.info, key, parts.signature);
  } catch (error: unknown) {
    return { ok: false, code: 'csr-bad-signature', message: `The CSR's signature cannot be checked (${error instanceof Error ? error.message.slice(0, 100) : 'error'}).` };
  }
  if (!valid) return { ok: false, code: 'csr-bad-signature', message: 'The CSR is not signed by its own key (bad self-signature).' };
  return { ok: true, subjectPublicKeySpkiDer: new Uint8Array(parts.spki), keyAlgorithm: accepted.name };
}

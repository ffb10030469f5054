// Parses a PKCS#10 request (RFC 2986) from the phone, enforces the key policy (RSA 2048–4096, EC P-256/P-384)
// BEFORE touching the signature (so odd curves never reach a crypto library), then checks the self-signature.
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { pemToDerList } from './pem.ts';

export type CsrCheck =
  | { ok: true; subjectPublicKeySpkiDer: Uint8Array; keyAlgorithm: string }
  | { ok: false; code: 'csr-invalid' | 'csr-weak-key' | 'csr-bad-signature'; message: string };

const SIGNATURE_HASHES: Record<string, 'sha256' | 'sha384' | 'sha512'> = {
  '1.2.840.10045.4.3.2': 'sha256', '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
};
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

export function checkCsr(text: string): CsrCheck {
  const der = csrDer(text);
  if (der === null || der.length === 0) return { ok: false, code: 'csr-invalid', message: 'The CSR is neither PEM nor base64url DER.' };
  if (der.length > MAX_CSR_DER_BYTES) return { ok: false, code: 'csr-invalid', message: 'The CSR is too large.' };
  let request: CertificationRequest;
  try {
    request = AsnConvert.parse(der, CertificationRequest);
  } catch (error: unknown) {
    return { ok: false, code: 'csr-invalid', message: `The CSR is not a PKCS#10 request (${error instanceof Error ? error.message.slice(0, 100) : 'parse error'}).` };
  }
  const spkiDer = new Uint8Array(AsnConvert.serialize(request.certificationRequestInfo.subjectPKInfo));
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  } catch (error: unknown) {
    // An unknown curve OID lands here too: that is a key we refuse, not a malformed request.
    return { ok: false, code: 'csr-weak-key', message: `The CSR's public key is not an accepted key (${error instanceof Error ? error.message.slice(0, 100) : 'unknown'}).` };
  }
  const policy = keyPolicy(key);
  if (!policy.ok) return { ok: false, code: 'csr-weak-key', message: policy.message };
  const hash = SIGNATURE_HASHES[request.signatureAlgorithm.algorithm];
  if (hash === undefined) return { ok: false, code: 'csr-invalid', message: `The CSR's signature algorithm ${request.signatureAlgorithm.algorithm} is not accepted.` };
  const signedBytes = request.certificationRequestInfoRaw === undefined
    ? new Uint8Array(AsnConvert.serialize(request.certificationRequestInfo))
    : new Uint8Array(request.certificationRequestInfoRaw);
  let valid: boolean;
  try {
    valid = nodeVerify(hash, signedBytes, key, new Uint8Array(request.signature));
  } catch (error: unknown) {
    return { ok: false, code: 'csr-bad-signature', message: `The CSR's signature cannot be checked (${error instanceof Error ? error.message.slice(0, 100) : 'error'}).` };
  }
  if (!valid) return { ok: false, code: 'csr-bad-signature', message: 'The CSR is not signed by its own key (bad self-signature).' };
  return { ok: true, subjectPublicKeySpkiDer: spkiDer, keyAlgorithm: policy.name };
}

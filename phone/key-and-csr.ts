// The phone's key pair and its PKCS#10 request (RFC 2986). The key is generated here and never leaves the
// phone: only the CSR (public key + proof of possession) goes to the issuer.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;

export interface PhoneKeyAndCsr {
  readonly csrPem: string;
  readonly publicKeySpki: Uint8Array;
  /** PKCS#8 DER of the private key: the caller stores it (0600) and zero-fills this buffer. */
  readonly privateKeyPkcs8: Uint8Array;
}

export async function createKeyAndCsr(commonName = 'dck phone'): Promise<PhoneKeyAndCsr> {
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: [{ CN: [commonName.slice(0, 64)] }],
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    },
    crypto,
  );
  return {
    csrPem: csr.toString('pem'),
    publicKeySpki: new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey)),
    privateKeyPkcs8: new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey)),
  };
}

export function pkcs8ToPem(pkcs8: Uint8Array): string {
  const base64 = Buffer.from(pkcs8)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----\n`;
}

// Assembles an X.509 v3 certificate from DER parts and has a CaSigner sign the TBS bytes. The signer only ever
// sees bytes to sign, which is what lets the CA key live in an HSM.
import { createHash, randomBytes } from 'node:crypto';
import type { CaSigner } from './ca-signer.ts';
import { bitString, integer, sequence, smallInteger, time, tlv } from './der.ts';

export interface CertificateParts {
  serialNumber: Uint8Array;
  issuerNameDer: Uint8Array;
  subjectNameDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  subjectPublicKeySpkiDer: Uint8Array;
  /** Each a DER Extension (see extensions.ts). */
  extensions: Uint8Array[];
}

/** 16 random bytes, top bit cleared so the INTEGER stays positive, never zero (RFC 5280 §4.1.2.2). */
export function newSerialNumber(): Uint8Array {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  return new Uint8Array(serial);
}

/**
 * The subjectPublicKey BIT STRING's contents (without its unused-bits byte) of an SPKI: what a key identifier
 * (RFC 5280 §4.2.1.2 method 1) and OCSP's issuerKeyHash hash. Read straight from the DER (second element).
 */
export function subjectPublicKeyBits(spkiDer: Uint8Array): Uint8Array {
  const skipHeader = (at: number): { start: number; end: number } => {
    const first = spkiDer[at + 1] ?? 0;
    const lengthBytes = first & 0x80 ? first & 0x7f : 0;
    let length = lengthBytes === 0 ? first : 0;
    for (let i = 0; i < lengthBytes; i += 1) length = length * 256 + (spkiDer[at + 2 + i] ?? 0);
    const start = at + 2 + lengthBytes;
    return { start, end: start + length };
  };
  const outer = skipHeader(0);
  const algorithm = skipHeader(outer.start);
  const key = skipHeader(algorithm.end);
  if (spkiDer[algorithm.end] !== 0x03 || key.end > spkiDer.length) throw new Error('malformed SubjectPublicKeyInfo');
  return spkiDer.subarray(key.start + 1, key.end);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spkiDer: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(subjectPublicKeyBits(spkiDer)).digest());
}

export async function buildCertificate(parts: CertificateParts, signer: CaSigner): Promise<Uint8Array> {
  const tbs = sequence(
    tlv(0xa0, smallInteger(2)),
    integer(parts.serialNumber),
    signer.signatureAlgorithmDer,
    parts.issuerNameDer,
    sequence(time(parts.notBefore), time(parts.notAfter)),
    parts.subjectNameDer,
    parts.subjectPublicKeySpkiDer,
    tlv(0xa3, sequence(...parts.extensions)),
  );
  const signature = await signer.sign(tbs);
  return sequence(tbs, signer.signatureAlgorithmDer, bitString(signature));
}

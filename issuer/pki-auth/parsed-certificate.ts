// One certificate parsed twice from the same DER: @peculiar/x509 for fields and extensions, pkijs for the
// chain engine. Parsing is the first defence against hostile bytes, so size and shape are checked here.
import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** A PIV certificate is a few kilobytes; anything far larger is not one. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  readonly pkijs: pkijs.Certificate;
}

export type ParseResult = { ok: true; certificate: ParsedCertificate } | { ok: false; message: string };

export function parseCertificate(der: Uint8Array): ParseResult {
  if (der.byteLength === 0 || der.byteLength > MAX_CERTIFICATE_BYTES) {
    return { ok: false, message: `certificate must be 1..${MAX_CERTIFICATE_BYTES} bytes of DER` };
  }
  const copy = new Uint8Array(der); // detached from the caller's buffer, which may be reused
  try {
    const asn = asn1js.fromBER(copy);
    if (asn.offset === -1 || asn.offset !== copy.byteLength) {
      return { ok: false, message: 'certificate is not a single DER structure' };
    }
    const x509 = new X509Certificate(copy);
    // @peculiar/x509 decodes extensions, names and the key lazily and throws on first access; touch them here so
    // a malformed extension is a parse failure, not an exception deep inside a later check.
    void x509.extensions;
    void x509.subjectName;
    void x509.issuerName;
    void x509.publicKey.algorithm;
    const engineCertificate = new pkijs.Certificate({ schema: asn.result });
    return { ok: true, certificate: { der: copy, x509, pkijs: engineCertificate } };
  } catch (error) {
    return { ok: false, message: `certificate cannot be parsed: ${describe(error)}` };
  }
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 200);
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');
}

/** Same certificate, byte for byte. */
export function sameCertificate(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return Buffer.from(a.der).equals(Buffer.from(b.der));
}

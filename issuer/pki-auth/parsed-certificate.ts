// One certificate, parsed for the jobs each library does best: OpenSSL (node:crypto) for the signature and the
// public key, @peculiar/x509 for fields and extensions, and pkijs for its chain engine — the pkijs object is only
// built when the engine or OCSP needs it, because building it is the costliest parse of the three (and a new
// card's path is checked without it, see ca-path.ts). Parsing is the first defence against hostile bytes, so
// size and shape are checked here.
import 'reflect-metadata';
import { X509Certificate as OpenSslCertificate, type KeyObject } from 'node:crypto';
import { X509Certificate } from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** A PIV certificate is a few kilobytes; anything far larger is not one. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  /** OpenSSL's view of the same bytes: signature checks and the public key. */
  readonly openssl: OpenSslCertificate;
  /** The subject public key, read once by OpenSSL. */
  readonly publicKey: KeyObject;
  /** Built on first use; throws if pkijs cannot read what OpenSSL and @peculiar/x509 could (see engineCertificate). */
  readonly pkijs: pkijs.Certificate;
}

export type ParseResult = { ok: true; certificate: ParsedCertificate } | { ok: false; message: string };

export function parseCertificate(der: Uint8Array): ParseResult {
  if (der.byteLength === 0 || der.byteLength > MAX_CERTIFICATE_BYTES) {
    return { ok: false, message: `certificate must be 1..${MAX_CERTIFICATE_BYTES} bytes of DER` };
  }
  const copy = new Uint8Array(der); // detached from the caller's buffer, which may be reused
  if (outerDerLength(copy) !== copy.byteLength) return { ok: false, message: 'certificate is not a single DER structure' };
  try {
    const openssl = new OpenSslCertificate(copy);
    const x509 = new X509Certificate(copy);
    // @peculiar/x509 decodes extensions, names and the key lazily and throws on first access; touch them here so
    // a malformed extension is a parse failure, not an exception deep inside a later check.
    void x509.extensions;
    void x509.subjectName;
    void x509.issuerName;
    const publicKey = openssl.publicKey; // throws for a key OpenSSL cannot read
    return { ok: true, certificate: withLazyEngineCertificate(copy, x509, openssl, publicKey) };
  } catch (error) {
    return { ok: false, message: `certificate cannot be parsed: ${describe(error)}` };
  }
}

function withLazyEngineCertificate(der: Uint8Array, x509: X509Certificate, openssl: OpenSslCertificate, publicKey: KeyObject): ParsedCertificate {
  let engine: pkijs.Certificate | undefined;
  return {
    der, x509, openssl, publicKey,
    get pkijs(): pkijs.Certificate {
      if (engine === undefined) {
        const asn = asn1js.fromBER(der);
        if (asn.offset === -1) throw new Error('certificate cannot be parsed by pkijs');
        engine = new pkijs.Certificate({ schema: asn.result });
      }
      return engine;
    },
  };
}

/** The pkijs object, or why pkijs cannot read the certificate (hostile bytes the other two parsers accepted). */
export function engineCertificate(certificate: ParsedCertificate): { ok: true; certificate: pkijs.Certificate } | { ok: false; message: string } {
  try {
    return { ok: true, certificate: certificate.pkijs };
  } catch (error) {
    return { ok: false, message: `certificate cannot be parsed: ${describe(error)}` };
  }
}

/**
 * Total length (header + content) of the DER SEQUENCE that starts the buffer, or -1. Trailing bytes after the
 * certificate would otherwise pass unnoticed: OpenSSL and @peculiar/x509 both stop at the end of the structure.
 */
export function outerDerLength(bytes: Uint8Array): number {
  if (bytes.byteLength < 2 || bytes[0] !== 0x30) return -1;
  const first = bytes[1] ?? 0;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 3 || bytes.byteLength < 2 + count) return -1; // indefinite length is BER, not DER
  let length = 0;
  for (let index = 0; index < count; index += 1) length = length * 256 + (bytes[2 + index] ?? 0);
  if (length < 0x80 || (count > 1 && (bytes[2] ?? 0) === 0)) return -1; // not the shortest form: not DER
  return 2 + count + length;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 200);
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');
}

/** The serial number as lower-case hex without leading zero octets: the form CRL entries are indexed by. */
export function serialNumberHex(certificate: ParsedCertificate): string {
  return certificate.x509.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '');
}

/** Same certificate, byte for byte. */
export function sameCertificate(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return Buffer.from(a.der).equals(Buffer.from(b.der));
}

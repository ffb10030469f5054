// One certificate, read twice by independent parsers and kept for the jobs each does best: OpenSSL (node:crypto)
// for the public key and every signature and issuer check, and the strict DER reader (certificate-fields.ts) for
// the fields and extensions PKI-AUTH decides on. pkijs's object is built only when its chain engine or OCSP needs
// it, and names are turned into text only when a message or the card record needs them: a new card costs one
// OpenSSL parse and one strict DER read. Parsing is the first defence against hostile bytes, so size and shape
// are checked here.
import { X509Certificate as OpenSslCertificate, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { readCertificateFields, type CertificateFields } from './certificate-fields.ts';
import { DerFormatError } from '../der/strict-der.ts';
import { canonicalIntegerHex } from '../der/integer.ts';
import { firstCommonName, nameText } from './name-text.ts';

/** A PIV certificate is a few kilobytes; anything far larger is not one. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** OpenSSL's view of the bytes: signature checks, X509_check_issued and the public key. */
  readonly openssl: OpenSslCertificate;
  /** The subject public key, read once by OpenSSL. */
  readonly publicKey: KeyObject;
  /** The strict DER reader's view: serial, names, validity, extensions. */
  readonly fields: CertificateFields;
  /** Subject and issuer DN text as @peculiar/x509 writes it; made on first use. */
  readonly subject: string;
  readonly issuer: string;
  /** The subject's first commonName, else the whole subject DN. */
  readonly commonName: string;
  /** Serial number as @peculiar/x509 gives it: lower-case hex of the INTEGER, a sign octet 00 dropped. */
  readonly serialNumber: string;
  /** Built on first use; throws if pkijs cannot read what OpenSSL and the DER reader could (see engineCertificate). */
  readonly pkijs: pkijs.Certificate;
}

export type ParseResult = { ok: true; certificate: ParsedCertificate } | { ok: false; message: string };

export function parseCertificate(der: Uint8Array): ParseResult {
  if (der.byteLength === 0 || der.byteLength > MAX_CERTIFICATE_BYTES) {
    return { ok: false, message: `certificate must be 1..${MAX_CERTIFICATE_BYTES} bytes of DER` };
  }
  const copy = new Uint8Array(der); // detached from the caller's buffer, which may be reused
  if (outerDerLength(copy) !== copy.byteLength)
    return { ok: false, message: 'certificate is not a single DER structure' };
  let fields: CertificateFields;
  try {
    fields = readCertificateFields(copy);
  } catch (error) {
    // Anything else thrown here would be a defect of the reader: still a refusal, never an accepted certificate.
    return {
      ok: false,
      message: `certificate cannot be parsed: ${error instanceof DerFormatError ? error.message.slice(0, 200) : describe(error)}`,
    };
  }
  try {
    const openssl = new OpenSslCertificate(copy);
    const publicKey = openssl.publicKey; // throws for a key OpenSSL cannot read
    return { ok: true, certificate: new Certificate(copy, openssl, publicKey, fields) };
  } catch (error) {
    return { ok: false, message: `certificate cannot be parsed: ${describe(error)}` };
  }
}

class Certificate implements ParsedCertificate {
  private subjectText: string | undefined;
  private issuerText: string | undefined;
  private commonNameText: string | undefined;
  private engine: pkijs.Certificate | undefined;

  constructor(
    readonly der: Uint8Array,
    readonly openssl: OpenSslCertificate,
    readonly publicKey: KeyObject,
    readonly fields: CertificateFields,
  ) {}

  get subject(): string {
    this.subjectText ??= nameText(this.fields.subjectName);
    return this.subjectText;
  }

  get issuer(): string {
    this.issuerText ??= nameText(this.fields.issuerName);
    return this.issuerText;
  }

  get commonName(): string {
    this.commonNameText ??= firstCommonName(this.fields.subjectName) ?? this.subject;
    return this.commonNameText;
  }

  get serialNumber(): string {
    let serial = this.fields.serialNumber;
    if (serial.byteLength > 1 && serial[0] === 0x00 && (serial[1] ?? 0) > 0x7f) serial = serial.subarray(1);
    return Buffer.from(serial).toString('hex');
  }

  get pkijs(): pkijs.Certificate {
    if (this.engine === undefined) {
      const asn = asn1js.fromBER(this.der);
      if (asn.offset === -1) throw new Error('certificate cannot be parsed by pkijs');
      this.engine = new pkijs.Certificate({ schema: asn.result });
    }
    return this.engine;
  }
}

/** The pkijs object, or why pkijs cannot read the certificate (hostile bytes the other two parsers accepted). */
export function engineCertificate(
  certificate: ParsedCertificate,
): { ok: true; certificate: pkijs.Certificate } | { ok: false; message: string } {
  try {
    return { ok: true, certificate: certificate.pkijs };
  } catch (error) {
    return { ok: false, message: `certificate cannot be parsed: ${describe(error)}` };
  }
}

/**
 * Total length (header + content) of the DER SEQUENCE that starts the buffer, or -1. A cheap first look before
 * either parser runs: trailing bytes or a bad outer length are refused without parsing anything.
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

/**
 * The serial number as CRL entries and OCSP answers are matched by: its shortest two's-complement hex, so the sign
 * is kept (255 is "00ff", −1 is "ff"; see ../der/integer.ts). Not for display: `serialNumber` is the display form.
 */
export function serialNumberHex(certificate: ParsedCertificate): string {
  return canonicalIntegerHex(certificate.fields.serialNumber);
}

/** Same certificate, byte for byte. */
export function sameCertificate(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return Buffer.from(a.der).equals(Buffer.from(b.der));
}

// A minimal DER writer for the certificates the issuer signs. Building TBS bytes directly (instead of through an
// ASN.1 object model) keeps issuance in the tens of microseconds, so the CA signature dominates its cost.
// Only definite-length, primitive encodings are produced; every value is given by our own code.

export function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(contents);
  return Buffer.concat([Uint8Array.of(tag), derLength(body.length), body]);
}

export const sequence = (...contents: Uint8Array[]): Uint8Array => tlv(0x30, ...contents);
export const octetString = (content: Uint8Array): Uint8Array => tlv(0x04, content);
export const bitString = (content: Uint8Array, unusedBits = 0): Uint8Array =>
  tlv(0x03, Uint8Array.of(unusedBits), content);
export const DER_TRUE = Uint8Array.of(0x01, 0x01, 0xff);

/** Unsigned big-endian magnitude → INTEGER (a 0x00 prefix keeps it positive). */
export function integer(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start += 1;
  const trimmed = magnitude.subarray(start);
  const needsPad = ((trimmed[0] ?? 0) & 0x80) !== 0;
  return tlv(0x02, needsPad ? Uint8Array.of(0) : new Uint8Array(0), trimmed);
}

export const smallInteger = (value: number): Uint8Array => integer(Uint8Array.of(value));

export function objectIdentifier(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [first * 40 + second];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      chunk.unshift((value & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu. */
export function time(date: Date): Uint8Array {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}

/** GeneralizedTime, whole seconds, Zulu: OCSP's only time type (RFC 6960 §4.2.2.1). */
export function generalizedTime(date: Date): Uint8Array {
  const iso = date.toISOString();
  return tlv(
    0x18,
    Buffer.from(
      `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`,
      'ascii',
    ),
  );
}

/** A non-negative safe integer (a CRL number) as an INTEGER. */
export function integerOf(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`not a non-negative safe integer: ${value}`);
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return integer(Uint8Array.from(bytes.length === 0 ? [0] : bytes));
}

export const enumerated = (value: number): Uint8Array => tlv(0x0a, Uint8Array.of(value));

export const utf8String = (text: string): Uint8Array => tlv(0x0c, Buffer.from(text, 'utf8'));
export const printableString = (text: string): Uint8Array => tlv(0x13, Buffer.from(text, 'ascii'));

/** Name with one RDN per (type, value) pair, each a UTF8String (PrintableString for countryName). */
export function distinguishedName(attributes: Array<[oid: string, value: string]>): Uint8Array {
  return sequence(
    ...attributes.map(([oid, value]) =>
      tlv(0x31, sequence(objectIdentifier(oid), oid === OID.countryName ? printableString(value) : utf8String(value))),
    ),
  );
}

export const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  countryName: '2.5.4.6',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  certificatePolicies: '2.5.29.32',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  cRLDistributionPoints: '2.5.29.31',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  cRLNumber: '2.5.29.20',
  cRLReason: '2.5.29.21',
  /** AIA access method id-ad-ocsp. */
  ocspAccess: '1.3.6.1.5.5.7.48.1',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  /** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): a responder certificate relying parties need not check. */
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  /** id-kp-OCSPSigning (RFC 6960 §4.2.2.2): the extended key usage of a delegated responder. */
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

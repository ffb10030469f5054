/**
 * X.509 certificate data objects (SP 800-73-4 Part 1 §3.3.1): 53 { 70 certificate, 71 CertInfo,
 * 72 MSCUID (optional), FE EDC }. CertInfo bit 0x01 says the certificate is gzip-compressed;
 * decompression is capped so a hostile card cannot make us allocate without limit.
 */
import { gunzipSync } from 'node:zlib';
import { PivError } from './errors.ts';
import { DATA_CONTAINER_TAG, unwrapDataObject } from './objects.ts';
import { findValue, parseTlvs } from './tlv.ts';

const TAG = { CERTIFICATE: 0x70, CERT_INFO: 0x71 } as const;
const COMPRESSED = 0x01;
/** Real PIV certificates are 1-3 KiB; 64 KiB leaves room for long chains of extensions. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

export interface CertificateObject {
  readonly der: Uint8Array;
  /** The card stored it gzip-compressed. */
  readonly compressed: boolean;
}

function decompress(bytes: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(bytes, { maxOutputLength: maxBytes }));
  } catch (error) {
    throw new PivError(
      'malformed-certificate',
      'compressed certificate could not be decompressed within the size limit',
      { cause: error },
    );
  }
}

/** Parses a GET DATA certificate response; an empty container means the slot has no certificate. */
export function parseCertificateObject(response: Uint8Array, maxBytes = MAX_CERTIFICATE_BYTES): CertificateObject {
  const contents = unwrapDataObject(response, DATA_CONTAINER_TAG, 'certificate object');
  const items = parseTlvs(contents, { trailing: 'allow-padding' });
  const certificate = findValue(items, TAG.CERTIFICATE);
  if (certificate === undefined || certificate.length === 0)
    throw new PivError('not-found', 'certificate object holds no certificate');
  const certInfo = findValue(items, TAG.CERT_INFO)?.[0] ?? 0;
  const compressed = (certInfo & COMPRESSED) !== 0;
  const der = compressed ? decompress(certificate, maxBytes) : Uint8Array.from(certificate);
  if (der.length > maxBytes)
    throw new PivError('malformed-certificate', `certificate of ${der.length} bytes exceeds ${maxBytes}`);
  return { der, compressed };
}

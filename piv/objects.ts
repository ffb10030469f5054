/**
 * PIV data object identifiers (SP 800-73-4 Part 1 Table 3), key references, and the GET DATA
 * command with the unwrapping of its response container.
 */
import type { CommandApdu } from './apdu.ts';
import type { CertificateSlot } from '../contracts/card.ts';
import { PivError } from './errors.ts';
import { encodeTlv, parseSingleTlv } from './tlv.ts';

export const PIV_AID = Uint8Array.from([0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00]);

export const OBJECT_TAG = {
  CHUID: 0x5fc102,
  CCC: 0x5fc107,
  DISCOVERY: 0x7e,
  KEY_HISTORY: 0x5fc10c,
  CERT_PIV_AUTH: 0x5fc105, // 9A
  CERT_SIGNATURE: 0x5fc10a, // 9C
  CERT_KEY_MANAGEMENT: 0x5fc10b, // 9D
  CERT_CARD_AUTH: 0x5fc101, // 9E
} as const;

/** Key references of the slots whose certificates we read. */
export const KEY_REFERENCE: Readonly<Record<CertificateSlot, number>> = {
  '9A': 0x9a,
  '9C': 0x9c,
  '9D': 0x9d,
  '9E': 0x9e,
};

export const CERTIFICATE_OBJECT: Readonly<Record<CertificateSlot, number>> = {
  '9A': OBJECT_TAG.CERT_PIV_AUTH,
  '9C': OBJECT_TAG.CERT_SIGNATURE,
  '9D': OBJECT_TAG.CERT_KEY_MANAGEMENT,
  '9E': OBJECT_TAG.CERT_CARD_AUTH,
};

export const CERTIFICATE_SLOTS: readonly CertificateSlot[] = ['9A', '9C', '9D', '9E'];

/** Most objects come wrapped in 53; the discovery object comes as its own 7E template. */
export const DATA_CONTAINER_TAG = 0x53;

/** GET DATA: 00 CB 3F FF, data 5C <tag>, Le as large as the channel allows. */
export function getDataCommand(objectTag: number, le: number): CommandApdu {
  const tagBytes =
    objectTag > 0xffff
      ? [objectTag >> 16, (objectTag >> 8) & 0xff, objectTag & 0xff]
      : objectTag > 0xff
        ? [objectTag >> 8, objectTag & 0xff]
        : [objectTag];
  return { cla: 0x00, ins: 0xcb, p1: 0x3f, p2: 0xff, data: encodeTlv(0x5c, Uint8Array.from(tagBytes)), le };
}

/**
 * The contents of a GET DATA response: the value of the outer 53 (or 7E) TLV. Some cards pad
 * objects to their allocated size with 00/FF, which is tolerated after the outer TLV.
 */
export function unwrapDataObject(response: Uint8Array, outerTag: number, what: string): Uint8Array {
  const outer = parseSingleTlv(response, { trailing: 'allow-padding' });
  if (outer.tag !== outerTag) {
    throw new PivError(
      'malformed-object',
      `${what}: expected tag ${outerTag.toString(16).toUpperCase()}, got ${outer.tag.toString(16).toUpperCase()}`,
    );
  }
  return outer.value;
}

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** 16 bytes as 8-4-4-4-12 lowercase; other lengths are a malformed object. */
export function formatUuid(bytes: Uint8Array, what: string): string {
  if (bytes.length !== 16) throw new PivError('malformed-object', `${what}: UUID of ${bytes.length} bytes`);
  const h = hexOf(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

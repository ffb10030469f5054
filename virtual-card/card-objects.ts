/**
 * The PIV data objects the virtual card holds, encoded as GET DATA returns them (SP 800-73-4 part 1,
 * appendix A): CHUID, CCC, discovery object, key history, and certificate containers.
 */
import { gzipSync } from 'node:zlib';
import { concatBytes, tlv } from './ber.ts';
import { PIV_AID } from './piv-applet.ts';

/** Object tags (the value of the 5C tag list in GET DATA). */
export const OBJECT_TAG = {
  CARD_CAPABILITY_CONTAINER: 0x5fc107,
  CHUID: 0x5fc102,
  DISCOVERY: 0x7e,
  KEY_HISTORY: 0x5fc10c,
  CERT_9A: 0x5fc105,
  CERT_9C: 0x5fc10a,
  CERT_9D: 0x5fc10b,
  CERT_9E: 0x5fc101,
} as const;

const NONE = new Uint8Array(0);
const byte = (value: number): Uint8Array => Uint8Array.of(value);

export interface ChuidFields {
  /** 25 bytes. */
  readonly fascn: Uint8Array;
  /** Cardholder UUID text; its 16 bytes fill the GUID field. */
  readonly uuid: string;
  readonly expiration: Date;
}

/** The CHUID TLVs the issuer signature covers: FASC-N, GUID, expiration date, cardholder UUID. */
export function chuidSignedContent(fields: ChuidFields): Uint8Array {
  const uuidBytes = Uint8Array.from(Buffer.from(fields.uuid.replace(/-/g, ''), 'hex'));
  const date = fields.expiration.toISOString().slice(0, 10).replace(/-/g, '');
  return concatBytes(
    tlv(0x30, fields.fascn),
    tlv(0x34, uuidBytes),
    tlv(0x35, new TextEncoder().encode(date)),
    tlv(0x36, uuidBytes),
  );
}

/** CHUID object; without a signature the 3E field is empty and clients report it unsigned. */
export function chuidObject(signedContent: Uint8Array, signature: Uint8Array = NONE): Uint8Array {
  return tlv(0x53, signedContent, tlv(0x3e, signature), tlv(0xfe, NONE));
}

/** Card Capability Container as issued PIV cards carry it (mostly fixed values). */
export function cardCapabilityContainer(cardIdentifier: Uint8Array): Uint8Array {
  return tlv(
    0x53,
    tlv(0xf0, cardIdentifier),
    tlv(0xf1, byte(0x21)),
    tlv(0xf2, byte(0x21)),
    tlv(0xf3, NONE),
    tlv(0xf4, byte(0x00)),
    tlv(0xf5, byte(0x10)),
    tlv(0xf6, NONE),
    tlv(0xf7, NONE),
    tlv(0xfa, NONE),
    tlv(0xfb, NONE),
    tlv(0xfc, NONE),
    tlv(0xfd, NONE),
    tlv(0xfe, NONE),
  );
}

/**
 * Discovery object: PIN usage policy byte 1 = 0x40 (application PIN only) or 0x60 (global PIN also
 * satisfies); byte 2 = 0x10 (application PIN primary) or 0x20 (global PIN primary).
 */
export function discoveryObject(globalPinPrimary: boolean): Uint8Array {
  const policy = globalPinPrimary ? Uint8Array.of(0x60, 0x20) : Uint8Array.of(0x40, 0x10);
  return tlv(0x7e, tlv(0x4f, PIV_AID), tlv(0x5f2f, policy));
}

export function keyHistoryObject(): Uint8Array {
  return tlv(0x53, tlv(0xc1, byte(0)), tlv(0xc2, byte(0)), tlv(0xfe, NONE));
}

/** Certificate container: 70 certificate, 71 CertInfo (0x01 = gzip-compressed), FE LRC. */
export function certificateObject(der: Uint8Array, compressed: boolean): Uint8Array {
  const body = compressed ? new Uint8Array(gzipSync(der)) : der;
  return tlv(0x53, tlv(0x70, body), tlv(0x71, byte(compressed ? 0x01 : 0x00)), tlv(0xfe, NONE));
}

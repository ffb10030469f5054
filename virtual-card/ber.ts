/**
 * The emulator's own minimal BER-TLV: encode objects and read a flat list of TLVs from untrusted
 * command data. Deliberately independent of piv/tlv.ts so a shared bug cannot hide on both sides.
 */

export interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
}

/** Encodes one TLV; `tag` is the tag's bytes as a number (0x5FC102, 0x7C, 0x53...). */
export function tlv(tag: number, ...values: Uint8Array[]): Uint8Array {
  const value = concatBytes(...values);
  return concatBytes(tagBytes(tag), lengthBytes(value.length), value);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function tagBytes(tag: number): Uint8Array {
  if (tag > 0xffffff || tag < 0) throw new RangeError('tag out of range');
  if (tag > 0xffff) return Uint8Array.of(tag >> 16, (tag >> 8) & 0xff, tag & 0xff);
  if (tag > 0xff) return Uint8Array.of(tag >> 8, tag & 0xff);
  return Uint8Array.of(tag);
}

function lengthBytes(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  if (length <= 0xff) return Uint8Array.of(0x81, length);
  if (length <= 0xffff) return Uint8Array.of(0x82, length >> 8, length & 0xff);
  if (length <= 0xffffff) return Uint8Array.of(0x83, length >> 16, (length >> 8) & 0xff, length & 0xff);
  throw new RangeError('TLV value too long');
}

/**
 * Parses consecutive TLVs filling `bytes` exactly; undefined when anything is malformed
 * (truncated tag/length/value, indefinite length, lengths over 3 bytes, tags over 3 bytes).
 */
export function parseTlvs(bytes: Uint8Array): Tlv[] | undefined {
  const items: Tlv[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const tagStart = offset;
    const first = bytes[offset++];
    if (first === undefined) return undefined;
    let tag = first;
    if ((first & 0x1f) === 0x1f) {
      for (;;) {
        const next = bytes[offset++];
        if (next === undefined || offset - tagStart > 3) return undefined;
        tag = tag * 256 + next;
        if ((next & 0x80) === 0) break;
      }
    }
    const lengthByte = bytes[offset++];
    if (lengthByte === undefined || lengthByte === 0x80 || lengthByte > 0x83) return undefined;
    let length = lengthByte;
    if (lengthByte > 0x80) {
      length = 0;
      for (let i = 0; i < (lengthByte & 0x7f); i += 1) {
        const b = bytes[offset++];
        if (b === undefined) return undefined;
        length = length * 256 + b;
      }
    }
    if (offset + length > bytes.length) return undefined;
    items.push({ tag, value: bytes.subarray(offset, offset + length) });
    offset += length;
  }
  return items;
}

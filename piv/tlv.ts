/**
 * BER-TLV as SP 800-73-4 uses it (ISO 7816-4 §5.2.2 / X.690 subset): tags of 1-3 bytes,
 * definite lengths in 1 byte (< 0x80) or 81/82/83 + 1-3 bytes. Indefinite length (0x80) is rejected.
 * Parsing never reads past the buffer and reports every defect as a PivError 'malformed-tlv'.
 */
import { PivError } from './errors.ts';

/** Tags longer than 3 bytes do not occur in PIV; longer ones are treated as hostile. */
const MAX_TAG_BYTES = 3;
/** 83 xx xx xx can say 16 MiB, far beyond any PIV object; the buffer bound catches the rest. */
const MAX_LENGTH_BYTES = 3;
export const DEFAULT_MAX_DEPTH = 8;

export interface Tlv {
  /** The tag bytes read big-endian as a number, e.g. 0x5fc102, 0x7e, 0x53. */
  readonly tag: number;
  /** True when bit 6 of the first tag byte says the value holds nested TLVs. */
  readonly constructed: boolean;
  /** A view of the value inside the parsed buffer (not a copy). */
  readonly value: Uint8Array;
}

export interface TlvTree extends Tlv {
  /** Nested TLVs of a constructed tag; empty for primitive tags. */
  readonly children: readonly TlvTree[];
}

export interface ParseOptions {
  /**
   * What to do with bytes after the last complete TLV:
   * 'reject' (default) throws; 'allow-padding' accepts trailing 0x00/0xFF filler only
   * (some cards pad objects to their allocated size); 'ignore' stops at the first non-TLV byte.
   */
  readonly trailing?: 'reject' | 'allow-padding' | 'ignore';
}

function malformed(reason: string): PivError {
  return new PivError('malformed-tlv', `Malformed BER-TLV: ${reason}`);
}

interface Header {
  tag: number;
  constructed: boolean;
  valueStart: number;
  valueEnd: number;
}

function readTag(bytes: Uint8Array, offset: number): { tag: number; next: number } {
  const first = bytes[offset];
  if (first === undefined) throw malformed(`tag missing at offset ${offset}`);
  let tag = first;
  let next = offset + 1;
  if ((first & 0x1f) !== 0x1f) return { tag, next };
  // Multi-byte tag: subsequent bytes carry 7 bits each while bit 8 says "more follows".
  for (;;) {
    const b = bytes[next];
    if (b === undefined) throw malformed(`tag truncated at offset ${next}`);
    tag = tag * 256 + b;
    next += 1;
    if (next - offset > MAX_TAG_BYTES) throw malformed(`tag longer than ${MAX_TAG_BYTES} bytes at offset ${offset}`);
    if ((b & 0x80) === 0) return { tag, next };
  }
}

function readLength(bytes: Uint8Array, offset: number): { length: number; next: number } {
  const first = bytes[offset];
  if (first === undefined) throw malformed(`length missing at offset ${offset}`);
  if (first < 0x80) return { length: first, next: offset + 1 };
  if (first === 0x80) throw malformed(`indefinite length at offset ${offset}`);
  const count = first & 0x7f;
  if (count > MAX_LENGTH_BYTES) throw malformed(`length of ${count} bytes at offset ${offset}`);
  let length = 0;
  for (let i = 1; i <= count; i += 1) {
    const b = bytes[offset + i];
    if (b === undefined) throw malformed(`length truncated at offset ${offset}`);
    length = length * 256 + b;
  }
  return { length, next: offset + 1 + count };
}

function readHeader(bytes: Uint8Array, offset: number): Header {
  const { tag, next } = readTag(bytes, offset);
  const { length, next: valueStart } = readLength(bytes, next);
  const valueEnd = valueStart + length;
  if (valueEnd > bytes.length) {
    throw malformed(`value of tag ${tag.toString(16)} needs ${length} bytes, ${bytes.length - valueStart} left`);
  }
  const firstTagByte = bytes[offset] ?? 0;
  return { tag, constructed: (firstTagByte & 0x20) !== 0, valueStart, valueEnd };
}

function isPadding(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i += 1) {
    const b = bytes[i];
    if (b !== 0x00 && b !== 0xff) return false;
  }
  return true;
}

/** Parses a sequence of TLVs at one level. */
export function parseTlvs(bytes: Uint8Array, options: ParseOptions = {}): Tlv[] {
  const trailing = options.trailing ?? 'reject';
  const items: Tlv[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (trailing === 'allow-padding' && isPadding(bytes, offset)) break;
    let header: Header;
    try {
      header = readHeader(bytes, offset);
    } catch (error) {
      if (trailing === 'ignore' && items.length > 0) break;
      throw error;
    }
    items.push({
      tag: header.tag,
      constructed: header.constructed,
      value: bytes.subarray(header.valueStart, header.valueEnd),
    });
    offset = header.valueEnd;
  }
  return items;
}

/** Parses exactly one TLV that must fill the buffer (subject to `trailing`). */
export function parseSingleTlv(bytes: Uint8Array, options: ParseOptions = {}): Tlv {
  const items = parseTlvs(bytes, options);
  const first = items[0];
  if (first === undefined) throw malformed('empty input');
  if (items.length > 1 && (options.trailing ?? 'reject') === 'reject') {
    throw malformed(`${items.length - 1} unexpected TLV(s) after tag ${first.tag.toString(16)}`);
  }
  return first;
}

/** Parses nested TLVs of constructed tags down to `maxDepth` levels. */
export function parseTlvTree(bytes: Uint8Array, maxDepth = DEFAULT_MAX_DEPTH, options: ParseOptions = {}): TlvTree[] {
  if (maxDepth < 1) throw malformed('nesting deeper than allowed');
  return parseTlvs(bytes, options).map((item) => ({
    ...item,
    children: item.constructed ? parseTlvTree(item.value, maxDepth - 1) : [],
  }));
}

/** The value of the first TLV with `tag`, or undefined. */
export function findValue(items: readonly Tlv[], tag: number): Uint8Array | undefined {
  return items.find((item) => item.tag === tag)?.value;
}

/** The value of the first TLV with `tag`; a missing tag is a 'malformed-object' error naming `what`. */
export function requireValue(items: readonly Tlv[], tag: number, what: string): Uint8Array {
  const value = findValue(items, tag);
  if (value === undefined)
    throw new PivError('malformed-object', `${what}: tag ${tag.toString(16).toUpperCase()} missing`);
  return value;
}

function tagBytes(tag: number): number[] {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffff)
    throw new PivError('invalid-argument', `tag ${tag} out of range`);
  if (tag <= 0xff) return [tag];
  if (tag <= 0xffff) return [tag >> 8, tag & 0xff];
  return [tag >> 16, (tag >> 8) & 0xff, tag & 0xff];
}

export function encodeLength(length: number): number[] {
  if (!Number.isInteger(length) || length < 0) throw new PivError('invalid-argument', `length ${length} invalid`);
  if (length < 0x80) return [length];
  if (length <= 0xff) return [0x81, length];
  if (length <= 0xffff) return [0x82, length >> 8, length & 0xff];
  if (length <= 0xffffff) return [0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
  throw new PivError('data-too-large', `TLV value of ${length} bytes is too long to encode`);
}

export function encodeTlv(tag: number, value: Uint8Array = new Uint8Array(0)): Uint8Array {
  const head = [...tagBytes(tag), ...encodeLength(value.length)];
  const out = new Uint8Array(head.length + value.length);
  out.set(head, 0);
  out.set(value, head.length);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Encodes a sequence of (tag, value) pairs one after another. */
export function encodeTlvs(items: ReadonlyArray<readonly [number, Uint8Array]>): Uint8Array {
  return concatBytes(items.map(([tag, value]) => encodeTlv(tag, value)));
}

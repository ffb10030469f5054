// A strict DER reader (X.690 §10) for the structures the issuer reads from outside on every request: the card's
// certificate and the phone's CSR. It reads only what its caller walks through (nothing is decoded speculatively),
// keeps byte offsets so signed or hashed parts are taken as they were sent, and refuses everything DER forbids:
// indefinite lengths, lengths not in their shortest form, elements that run past their container, constructed
// string encodings, high-tag-number identifiers (no structure read here uses them), and trailing bytes.
// Nesting is only ever as deep as the caller's schema, or a fixed bound for generic well-formedness checks, so a
// hostile input cannot exhaust the stack.

/** Thrown inside the reader only; every public parser catches it and answers with data. */
export class DerFormatError extends Error {
  override name = 'DerFormatError';
}

export function derFail(message: string): never {
  throw new DerFormatError(message);
}

/** One TLV: its identifier octet and where its header, content and end are in the buffer it was read from. */
export interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** [n] context-specific tags, primitive and constructed. */
export const contextPrimitive = (n: number): number => 0x80 | n;
export const contextConstructed = (n: number): number => 0xa0 | n;

const CONSTRUCTED = 0x20;
const CLASS_MASK = 0xc0;
const UNIVERSAL = 0x00;
/** Three length octets allow 16 MiB, far beyond anything the issuer accepts. */
const MAX_LENGTH_OCTETS = 3;

export function isConstructed(tag: number): boolean {
  return (tag & CONSTRUCTED) !== 0;
}

/** The element whose identifier starts at `offset`; it must end at or before `limit`. */
export function readElementAt(bytes: Uint8Array, offset: number, limit: number): DerElement {
  if (offset + 2 > limit) derFail(`truncated element at offset ${offset}`);
  const tag = bytes[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) derFail(`high-tag-number identifier at offset ${offset}`);
  if (tag === 0) derFail(`end-of-contents octets at offset ${offset} (indefinite lengths are BER, not DER)`);
  const first = bytes[offset + 1] ?? 0;
  let contentStart = offset + 2;
  let length = first;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0) derFail(`indefinite length at offset ${offset}`);
    if (count > MAX_LENGTH_OCTETS) derFail(`length of ${count} octets at offset ${offset}`);
    if (contentStart + count > limit) derFail(`truncated length at offset ${offset}`);
    if (bytes[contentStart] === 0) derFail(`length not in its shortest form at offset ${offset}`);
    length = 0;
    for (let index = 0; index < count; index += 1) length = length * 256 + (bytes[contentStart + index] ?? 0);
    if (length < 0x80) derFail(`length not in its shortest form at offset ${offset}`);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) derFail(`element at offset ${offset} runs past the end of its container`);
  return { tag, start: offset, contentStart, end };
}

/** The buffer must be exactly one element with this tag: nothing before, nothing after. */
export function readWhole(bytes: Uint8Array, tag: number, what: string): DerElement {
  const element = readElementAt(bytes, 0, bytes.byteLength);
  if (element.tag !== tag) derFail(`${what} has tag 0x${hexByte(element.tag)}, expected 0x${hexByte(tag)}`);
  if (element.end !== bytes.byteLength)
    derFail(`${what} is followed by ${bytes.byteLength - element.end} trailing bytes`);
  return element;
}

/** Reads the elements inside a constructed element (or inside an OCTET STRING that wraps DER) one by one. */
export class DerReader {
  private offset: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly container: DerElement,
    private readonly what: string,
  ) {
    this.offset = container.contentStart;
  }

  get atEnd(): boolean {
    return this.offset >= this.container.end;
  }

  /** Identifier octet of the next element, or null at the end. */
  peekTag(): number | null {
    return this.atEnd ? null : (this.bytes[this.offset] ?? null);
  }

  /** The next element, whatever its tag. */
  any(name: string): DerElement {
    if (this.atEnd) derFail(`${this.what}: ${name} is missing`);
    const element = readElementAt(this.bytes, this.offset, this.container.end);
    this.offset = element.end;
    return element;
  }

  next(tag: number, name: string): DerElement {
    if (this.peekTag() !== tag) {
      const found = this.peekTag();
      derFail(
        `${this.what}: ${name} ${found === null ? 'is missing' : `has tag 0x${hexByte(found)}, expected 0x${hexByte(tag)}`}`,
      );
    }
    return this.any(name);
  }

  optional(tag: number, name: string): DerElement | null {
    return this.peekTag() === tag ? this.any(name) : null;
  }

  /** Every remaining element. */
  rest(name: string): DerElement[] {
    const elements: DerElement[] = [];
    while (!this.atEnd) elements.push(this.any(name));
    return elements;
  }

  done(): void {
    if (!this.atEnd) derFail(`${this.what} has unexpected content after its last field`);
  }
}

/** The content of a constructed element as elements (SEQUENCE OF / SET OF); `atLeastOne` for SIZE (1..MAX). */
export function elementsOf(bytes: Uint8Array, container: DerElement, what: string, atLeastOne: boolean): DerElement[] {
  const elements = new DerReader(bytes, container, what).rest('element');
  if (atLeastOne && elements.length === 0) derFail(`${what} is empty`);
  return elements;
}

/** The single element an OCTET STRING (or EXPLICIT tag) wraps, e.g. an extension's value. */
export function wrappedElement(bytes: Uint8Array, wrapper: DerElement, tag: number, what: string): DerElement {
  const reader = new DerReader(bytes, wrapper, what);
  const inner = reader.next(tag, 'value');
  reader.done();
  return inner;
}

/**
 * Well-formed DER all the way down, for parts read only as a whole (names, qualifiers, generic extensions):
 * constructed elements fill their content exactly, universal primitives obey their DER rules. `depth` bounds
 * the nesting (no structure checked this way nests deeper than a few levels).
 */
export function checkWellFormed(bytes: Uint8Array, element: DerElement, depth: number): void {
  if (isConstructed(element.tag)) {
    if ((element.tag & CLASS_MASK) === UNIVERSAL && element.tag !== TAG.SEQUENCE && element.tag !== TAG.SET) {
      derFail(`constructed encoding of universal type ${element.tag & 0x1f} (DER uses the primitive form)`);
    }
    if (depth <= 0) derFail('nested too deeply');
    let offset = element.contentStart;
    while (offset < element.end) {
      const child = readElementAt(bytes, offset, element.end);
      checkWellFormed(bytes, child, depth - 1);
      offset = child.end;
    }
    return;
  }
  if ((element.tag & CLASS_MASK) !== UNIVERSAL) return;
  switch (element.tag) {
    case TAG.BOOLEAN:
      readBoolean(bytes, element);
      return;
    case TAG.INTEGER:
      readIntegerBytes(bytes, element);
      return;
    case TAG.BIT_STRING:
      readBitString(bytes, element);
      return;
    case TAG.NULL:
      if (element.end !== element.contentStart) derFail('NULL with content');
      return;
    case TAG.OID:
      checkOid(bytes, element);
      return;
    case 0x10:
    case 0x11:
      derFail('SEQUENCE or SET in primitive form');
  }
}

export function contentOf(bytes: Uint8Array, element: DerElement): Uint8Array {
  return bytes.subarray(element.contentStart, element.end);
}

export function encodedOf(bytes: Uint8Array, element: DerElement): Uint8Array {
  return bytes.subarray(element.start, element.end);
}

/** DER BOOLEAN: one octet, 0x00 or 0xFF. */
export function readBoolean(bytes: Uint8Array, element: DerElement): boolean {
  if (element.tag !== TAG.BOOLEAN || element.end - element.contentStart !== 1) derFail('BOOLEAN is not one octet');
  const value = bytes[element.contentStart];
  if (value !== 0x00 && value !== 0xff) derFail('BOOLEAN is neither 0x00 nor 0xFF');
  return value === 0xff;
}

/** INTEGER content octets, checked to be in their shortest two's-complement form. */
export function readIntegerBytes(bytes: Uint8Array, element: DerElement): Uint8Array {
  if (element.tag !== TAG.INTEGER) derFail('expected an INTEGER');
  const content = contentOf(bytes, element);
  if (content.byteLength === 0) derFail('INTEGER without content');
  const [first = 0, second = 0] = content;
  if (content.byteLength > 1 && ((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80))) {
    derFail('INTEGER not in its shortest form');
  }
  return content;
}

/** A non-negative INTEGER no larger than `max`. */
export function readSmallInteger(bytes: Uint8Array, element: DerElement, max: number): number {
  const content = readIntegerBytes(bytes, element);
  if (((content[0] ?? 0) & 0x80) !== 0) derFail('negative INTEGER');
  if (content.byteLength > 6) derFail('INTEGER out of range');
  let value = 0;
  for (const byte of content) value = value * 256 + byte;
  if (value > max) derFail('INTEGER out of range');
  return value;
}

export interface BitString {
  readonly unusedBits: number;
  readonly bytes: Uint8Array;
}

/** BIT STRING: unused-bit count 0..7 (0 when empty), and the unused bits themselves zero. */
export function readBitString(bytes: Uint8Array, element: DerElement): BitString {
  if (element.tag !== TAG.BIT_STRING) derFail('expected a BIT STRING');
  const content = contentOf(bytes, element);
  const unusedBits = content[0];
  if (unusedBits === undefined || unusedBits > 7) derFail('BIT STRING with a bad unused-bit count');
  const value = content.subarray(1);
  if (value.byteLength === 0 && unusedBits !== 0) derFail('empty BIT STRING with unused bits');
  const last = value[value.byteLength - 1] ?? 0;
  if ((last & ((1 << unusedBits) - 1)) !== 0) derFail('BIT STRING with non-zero unused bits');
  return { unusedBits, bytes: value };
}

/** An OBJECT IDENTIFIER whose value is not needed: only checked (non-empty, every arc in its shortest form). */
export function checkOid(bytes: Uint8Array, element: DerElement): void {
  if (element.tag !== TAG.OID) derFail('expected an OBJECT IDENTIFIER');
  const { contentStart, end } = element;
  if (end === contentStart) derFail('empty OBJECT IDENTIFIER');
  if (((bytes[end - 1] ?? 0) & 0x80) !== 0) derFail('truncated OBJECT IDENTIFIER');
  let atArcStart = true;
  for (let index = contentStart; index < end; index += 1) {
    const byte = bytes[index] ?? 0;
    if (atArcStart && byte === 0x80) derFail('OBJECT IDENTIFIER arc not in its shortest form');
    atArcStart = (byte & 0x80) === 0;
  }
}

/** OBJECT IDENTIFIER as dotted text; every arc in its shortest base-128 form. */
export function readOid(bytes: Uint8Array, element: DerElement): string {
  checkOid(bytes, element);
  const content = contentOf(bytes, element);
  const arcs: string[] = [];
  let value = 0n;
  let small = 0;
  let big = false;
  let atArcStart = true;
  for (const byte of content) {
    // Numbers are exact up to 2^53; longer arcs (e.g. 2.25.<UUID>) continue as BigInt.
    if (!big && small >= 2 ** 45) {
      big = true;
      value = BigInt(small);
    }
    if (big) value = (value << 7n) | BigInt(byte & 0x7f);
    else small = small * 128 + (byte & 0x7f);
    atArcStart = (byte & 0x80) === 0;
    if (!atArcStart) continue;
    if (arcs.length > 0) arcs.push(big ? String(value) : String(small));
    else if (big) arcs.push('2', String(value - 80n));
    else arcs.push(...firstTwoArcs(small));
    small = 0;
    value = 0n;
    big = false;
  }
  return arcs.join('.');
}

/** UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 §4.1.2.5: seconds, Zulu, no fractions). */
export function readTime(bytes: Uint8Array, element: DerElement): Date {
  const yearDigits =
    element.tag === TAG.UTC_TIME
      ? 2
      : element.tag === TAG.GENERALIZED_TIME
        ? 4
        : derFail('expected a UTCTime or GeneralizedTime');
  const { contentStart, end } = element;
  if (end - contentStart !== yearDigits + 11 || bytes[end - 1] !== 0x5a)
    derFail(`${yearDigits === 2 ? 'UTCTime is not YYMMDDHHMMSSZ' : 'GeneralizedTime is not YYYYMMDDHHMMSSZ'}`);
  const digits = (from: number, count: number): number => {
    let value = 0;
    for (let index = contentStart + from; index < contentStart + from + count; index += 1) {
      const digit = (bytes[index] ?? 0) - 0x30;
      if (digit < 0 || digit > 9) derFail('time with a non-digit');
      value = value * 10 + digit;
    }
    return value;
  };
  let year = digits(0, yearDigits);
  if (yearDigits === 2) year += year >= 50 ? 1900 : 2000;
  const [month, day, hour, minute, second] = [0, 2, 4, 6, 8].map((offset) => digits(yearDigits + offset, 2)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls over out-of-range fields (month 13, 31 February, 24:00): refuse instead.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    derFail('time with an out-of-range field');
  }
  return date;
}

/** X.690 §8.19.4: the first subidentifier packs the first two arcs as 40·X + Y (X = 2 takes every value ≥ 80). */
function firstTwoArcs(packed: number): [string, string] {
  const first = packed < 40 ? 0 : packed < 80 ? 1 : 2;
  return [String(first), String(packed - first * 40)];
}

function hexByte(value: number): string {
  return value.toString(16).padStart(2, '0');
}

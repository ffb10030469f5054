/**
 * A small PIV card model for unit tests (the full emulator for real clients is virtual-card/).
 * Implements SELECT, GET DATA, VERIFY, GENERAL AUTHENTICATE, GET RESPONSE, command chaining and,
 * optionally, extended length — each written from SP 800-73-4 Part 2 and ISO 7816-4 independently
 * of piv/, so the two check each other. Logs every APDU it receives.
 */
import { gzipSync } from 'node:zlib';
import type { CardTransport } from '../../../piv/transport.ts';
import type { CardKey } from './test-pki.ts';

export interface FakeCardConfig {
  /** GET DATA responses by object tag (the complete 53/7E TLV). */
  readonly objects?: ReadonlyMap<number, Uint8Array>;
  readonly applicationPin?: string;
  readonly globalPin?: string | null;
  readonly triesLeft?: number;
  readonly maxTries?: number;
  readonly keys?: ReadonlyMap<number, CardKey>;
  /** Accept extended-length APDUs and answer them in one response. */
  readonly extendedLength?: boolean;
}

const ALGORITHM_IDS: Readonly<Record<string, number>> = { 'RSA-2048': 0x07, 'ECC-P256': 0x11, 'ECC-P384': 0x14 };
const AID = Buffer.from('a000000308000010000100', 'hex');

function tlv(tag: number[], value: Uint8Array | number[]): Uint8Array {
  const v = [...value];
  const len =
    v.length < 0x80 ? [v.length] : v.length < 0x100 ? [0x81, v.length] : [0x82, v.length >> 8, v.length & 0xff];
  return Uint8Array.from([...tag, ...len, ...v]);
}

export function certificateObject(der: Uint8Array, compress = false): Uint8Array {
  const body = compress ? new Uint8Array(gzipSync(der)) : der;
  return tlv([0x53], [...tlv([0x70], body), ...tlv([0x71], [compress ? 1 : 0]), ...tlv([0xfe], [])]);
}

export function discoveryObject(globalPrimary: boolean): Uint8Array {
  return tlv([0x7e], [...tlv([0x4f], AID), ...tlv([0x5f, 0x2f], globalPrimary ? [0x60, 0x20] : [0x40, 0x00])]);
}

export function chuidObject(fascn: Uint8Array, options: { signed?: boolean } = {}): Uint8Array {
  const guid = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  const body = [
    ...tlv([0x30], fascn),
    ...tlv([0x34], guid),
    ...tlv([0x35], [...Buffer.from('20301231')]),
    ...tlv([0x36], Buffer.from('3f2504e04f8911d39a0c0305e82c3301', 'hex')),
    ...tlv([0x3e], options.signed === false ? [] : [0x30, 0x03, 0x02, 0x01, 0x00]),
    ...tlv([0xfe], []),
  ];
  return tlv([0x53], body);
}

const sw = (value: number): number[] => [value >> 8, value & 0xff];

interface Parsed {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  le: number;
  extended: boolean;
}

function parseCommand(c: Uint8Array): Parsed | undefined {
  if (c.length < 4) return undefined;
  const [cla = 0, ins = 0, p1 = 0, p2 = 0] = c;
  const body = c.subarray(4);
  if (body.length === 0) return { cla, ins, p1, p2, data: new Uint8Array(0), le: 0, extended: false };
  if (body.length === 1) return { cla, ins, p1, p2, data: new Uint8Array(0), le: body[0] || 256, extended: false };
  if (body[0] === 0 && body.length >= 3) {
    const n = ((body[1] ?? 0) << 8) | (body[2] ?? 0);
    if (body.length === 3) return { cla, ins, p1, p2, data: new Uint8Array(0), le: n || 65536, extended: true };
    const data = body.subarray(3, 3 + n);
    if (data.length !== n) return undefined;
    const rest = body.subarray(3 + n);
    if (rest.length !== 0 && rest.length !== 2) return undefined;
    const le = rest.length === 2 ? ((rest[0] ?? 0) << 8) | (rest[1] ?? 0) || 65536 : 0;
    return { cla, ins, p1, p2, data, le, extended: true };
  }
  const n = body[0] ?? 0;
  const data = body.subarray(1, 1 + n);
  if (data.length !== n) return undefined;
  const rest = body.subarray(1 + n);
  if (rest.length > 1) return undefined;
  return { cla, ins, p1, p2, data, le: rest.length === 1 ? rest[0] || 256 : 0, extended: false };
}

export class FakePivCard implements CardTransport {
  readonly log: string[] = [];
  removed = false;
  private readonly tries = new Map<number, number>();
  private readonly verified = new Set<number>();
  private pending: Uint8Array = new Uint8Array(0);
  private chain: number[] = [];
  private selected = false;

  constructor(private readonly config: FakeCardConfig) {
    this.tries.set(0x80, config.triesLeft ?? 3);
    this.tries.set(0x00, config.triesLeft ?? 3);
  }

  /** INS bytes of the logged APDUs, e.g. ['a4', 'cb', 'c0', ...]. */
  get instructions(): string[] {
    return this.log.map((apdu) => apdu.slice(2, 4));
  }

  transmit(command: Uint8Array): Promise<Uint8Array> {
    this.log.push(Buffer.from(command).toString('hex'));
    if (this.removed) return Promise.reject(new Error('card removed'));
    if (command.length > 5 + 255 + 1 && !this.config.extendedLength) return this.answer([], 0x6700);
    const parsed = parseCommand(command);
    if (parsed === undefined) return this.answer([], 0x6700);
    if (parsed.extended && !this.config.extendedLength) return this.answer([], 0x6700);
    if (parsed.ins === 0xc0) return this.getResponse(parsed.le);
    this.pending = new Uint8Array(0);
    if ((parsed.cla & 0x10) !== 0) {
      this.chain.push(...parsed.data);
      return this.answer([], 0x9000);
    }
    const data = Uint8Array.from([...this.chain, ...parsed.data]);
    this.chain = [];
    return this.dispatch({ ...parsed, data });
  }

  private dispatch(c: Parsed): Promise<Uint8Array> {
    if (c.ins === 0xa4) return this.select(c.data);
    if (!this.selected) return this.answer([], 0x6985);
    switch (c.ins) {
      case 0xcb:
        return this.getData(c);
      case 0x20:
        return this.verify(c);
      case 0x87:
        return this.generalAuthenticate(c);
      default:
        return this.answer([], 0x6d00);
    }
  }

  private select(aid: Uint8Array): Promise<Uint8Array> {
    if (!Buffer.from(aid).equals(AID)) return this.answer([], 0x6a82);
    this.selected = true;
    this.verified.clear();
    const apt = tlv(
      [0x61],
      [
        ...tlv([0x4f], [0x00, 0x00, 0x10, 0x00, 0x01, 0x00]),
        ...tlv([0x79], tlv([0x4f], AID)),
        ...tlv([0x50], [...Buffer.from('Fake PIV')]),
        ...tlv([0xac], [...tlv([0x80], [0x07]), ...tlv([0x80], [0x11]), ...tlv([0x06], [])]),
      ],
    );
    return this.respond(apt, 256, false);
  }

  private getData(c: Parsed): Promise<Uint8Array> {
    if (c.p1 !== 0x3f || c.p2 !== 0xff || c.data[0] !== 0x5c) return this.answer([], 0x6a86);
    const tag = [...c.data.subarray(2, 2 + (c.data[1] ?? 0))].reduce((a, b) => a * 256 + b, 0);
    const object = this.config.objects?.get(tag);
    if (object === undefined) return this.answer([], 0x6a82);
    return this.respond(object, c.le, c.extended);
  }

  private verify(c: Parsed): Promise<Uint8Array> {
    const pin =
      c.p2 === 0x80 ? (this.config.applicationPin ?? '123456') : c.p2 === 0x00 ? (this.config.globalPin ?? null) : null;
    if (pin === null) return this.answer([], 0x6a88);
    const left = this.tries.get(c.p2) ?? 0;
    if (c.data.length === 0) {
      if (this.verified.has(c.p2)) return this.answer([], 0x9000);
      return this.answer([], left === 0 ? 0x6983 : 0x63c0 | left);
    }
    if (left === 0) return this.answer([], 0x6983);
    if (c.data.length !== 8) return this.answer([], 0x6a80);
    const expected = Buffer.alloc(8, 0xff);
    expected.write(pin, 'latin1');
    if (Buffer.from(c.data).equals(expected)) {
      this.tries.set(c.p2, this.config.maxTries ?? 3);
      this.verified.add(c.p2);
      return this.answer([], 0x9000);
    }
    this.verified.delete(c.p2);
    this.tries.set(c.p2, left - 1);
    return this.answer([], 0x63c0 | (left - 1));
  }

  private generalAuthenticate(c: Parsed): Promise<Uint8Array> {
    const key = this.config.keys?.get(c.p2);
    if (key === undefined) return this.answer([], 0x6a88);
    if (ALGORITHM_IDS[key.algorithm] !== c.p1) return this.answer([], 0x6a80);
    if (this.verified.size === 0) return this.answer([], 0x6982);
    // Expect 7C { 82 00, 81 L input } exactly, as our host sends it.
    const d = c.data;
    if (d[0] !== 0x7c) return this.answer([], 0x6a80);
    const inner = d.subarray(d[1] === 0x82 ? 4 : d[1] === 0x81 ? 3 : 2);
    if (inner[0] !== 0x82 || inner[1] !== 0x00 || inner[2] !== 0x81) return this.answer([], 0x6a80);
    const lenByte = inner[3] ?? 0;
    const input = lenByte === 0x82 ? inner.subarray(6) : lenByte === 0x81 ? inner.subarray(5) : inner.subarray(4);
    const signature = key.rawSign(input);
    return this.respond(tlv([0x7c], tlv([0x82], signature)), c.le, c.extended);
  }

  /** Short commands get at most Le (≤ 256) bytes and 61xx for the rest. */
  private respond(data: Uint8Array, le: number, extended: boolean): Promise<Uint8Array> {
    const first = extended ? data.length : Math.min(data.length, le || 256);
    this.pending = data.subarray(first);
    return this.answer([...data.subarray(0, first)], this.moreStatus());
  }

  private getResponse(le: number): Promise<Uint8Array> {
    if (this.pending.length === 0) return this.answer([], 0x6985);
    const chunk = this.pending.subarray(0, Math.min(le, this.pending.length));
    this.pending = this.pending.subarray(chunk.length);
    return this.answer([...chunk], this.moreStatus());
  }

  private moreStatus(): number {
    return this.pending.length === 0 ? 0x9000 : 0x6100 | (this.pending.length >= 256 ? 0 : this.pending.length);
  }

  private answer(data: number[], status: number): Promise<Uint8Array> {
    return Promise.resolve(Uint8Array.from([...data, ...sw(status)]));
  }
}

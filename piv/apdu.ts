/**
 * Command APDU encoding (ISO 7816-4 §5.1, cases 1-4, short and extended length) and response
 * APDU splitting into data + SW1SW2.
 */
import { PivError } from './errors.ts';

export const MAX_SHORT_DATA = 255;
export const MAX_SHORT_LE = 256;
export const MAX_EXTENDED_DATA = 65535;
export const MAX_EXTENDED_LE = 65536;

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data (Lc is derived). Absent or empty: no Lc field. */
  readonly data?: Uint8Array;
  /**
   * Expected response length. Absent: no Le field. 256 (short) / 65536 (extended) are encoded
   * as zero, meaning "as much as there is".
   */
  readonly le?: number;
  /**
   * The data holds a secret (a PIN): the channel zero-fills every encoded copy it made after
   * transmitting, and the command is never described with its data in errors.
   */
  readonly sensitive?: boolean;
}

export interface ResponseApdu {
  readonly data: Uint8Array;
  /** SW1SW2 as one number, e.g. 0x9000. */
  readonly sw: number;
}

function checkByte(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new PivError('invalid-argument', `APDU ${field} must be a byte, got ${value}`);
  }
}

function checkLength(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new PivError('data-too-large', `APDU ${field} ${value} exceeds ${max}`);
  }
}

/** Does this command need the extended form (data > 255 or Le > 256)? */
export function needsExtendedLength(command: CommandApdu): boolean {
  return (command.data?.length ?? 0) > MAX_SHORT_DATA || (command.le ?? 0) > MAX_SHORT_LE;
}

export function encodeCommandApdu(command: CommandApdu, extended = false): Uint8Array {
  checkByte(command.cla, 'CLA');
  checkByte(command.ins, 'INS');
  checkByte(command.p1, 'P1');
  checkByte(command.p2, 'P2');
  const data = command.data ?? new Uint8Array(0);
  const hasLe = command.le !== undefined;
  const le = command.le ?? 0;
  checkLength(data.length, extended ? MAX_EXTENDED_DATA : MAX_SHORT_DATA, 'data length');
  checkLength(le, extended ? MAX_EXTENDED_LE : MAX_SHORT_LE, 'Le');

  const bytes: number[] = [command.cla, command.ins, command.p1, command.p2];
  if (!extended) {
    if (data.length > 0) bytes.push(data.length);
    const out = new Uint8Array(bytes.length + data.length + (hasLe ? 1 : 0));
    out.set(bytes, 0);
    out.set(data, bytes.length);
    if (hasLe) out[out.length - 1] = le & 0xff; // 256 -> 00
    return out;
  }
  // Extended: Lc = 00 hi lo; Le = hi lo after data, or 00 hi lo when there is no data.
  if (data.length > 0) bytes.push(0x00, data.length >> 8, data.length & 0xff);
  const leBytes = !hasLe ? [] : data.length > 0 ? [(le >> 8) & 0xff, le & 0xff] : [0x00, (le >> 8) & 0xff, le & 0xff];
  const out = new Uint8Array(bytes.length + data.length + leBytes.length);
  out.set(bytes, 0);
  out.set(data, bytes.length);
  out.set(leBytes, bytes.length + data.length);
  return out;
}

/** Splits a raw response into data and SW1SW2; fewer than 2 bytes is 'malformed-response'. */
export function parseResponseApdu(raw: Uint8Array): ResponseApdu {
  if (raw.length < 2) {
    throw new PivError('malformed-response', `card response of ${raw.length} byte(s) has no status word`);
  }
  const sw1 = raw[raw.length - 2] ?? 0;
  const sw2 = raw[raw.length - 1] ?? 0;
  return { data: raw.subarray(0, raw.length - 2), sw: (sw1 << 8) | sw2 };
}

/** "00 CB 3F FF" style header description for error messages (never the data). */
export function describeCommand(command: CommandApdu): string {
  return [command.cla, command.ins, command.p1, command.p2]
    .map((b) => b.toString(16).padStart(2, '0').toUpperCase())
    .join(' ');
}

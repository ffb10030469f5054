// Frames of the browser host's WebSocket (shared by the page script and the server; browser-safe code only).
//
// page → host: one BINARY frame per call, so PIN bytes never become a JavaScript string on either side:
//   [u32 big-endian header length][header: UTF-8 JSON { id, call, args }][raw bytes of Uint8Array arguments]
//   A Uint8Array argument appears in `args` as { "$bytes": <length> }; its bytes follow the header in order.
// host → page: TEXT frames, JSON: { kind: 'result', id, result } or { kind: 'view', view }.
import type { KioskError, KioskView, Result } from '../../contracts/kiosk-api.ts';

export const MAX_CALL_FRAME_BYTES = 16 * 1024;
export const MAX_HEADER_BYTES = 8 * 1024;
const MAX_BYTES_ARGS = 4;

/** The kiosk's messages by default; the agent console's host sends its own views and errors the same way. */
export type HostMessage<View = KioskView, Failure extends { readonly code: string } = KioskError> =
  | { readonly kind: 'result'; readonly id: number; readonly result: Result<unknown, Failure> }
  | { readonly kind: 'view'; readonly view: View };

export interface CallFrame {
  readonly id: number;
  readonly call: string;
  readonly args: unknown[];
}

type ByteSlot = { readonly $bytes: number };

const isByteSlot = (value: unknown): value is ByteSlot =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.keys(value).length === 1 &&
  Number.isSafeInteger((value as { $bytes?: unknown }).$bytes) &&
  (value as ByteSlot).$bytes >= 0;

const looksLikeByteSlot = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && Object.prototype.hasOwnProperty.call(value, '$bytes');

/** Encodes a call. The caller should zero-fill the returned frame once it is sent (it holds the raw bytes). */
export function encodeCallFrame(id: number, call: string, args: readonly unknown[]): Uint8Array<ArrayBuffer> {
  const blobs: Uint8Array[] = [];
  const headerArgs = args.map((arg) => {
    if (!(arg instanceof Uint8Array)) return arg;
    blobs.push(arg);
    return { $bytes: arg.length };
  });
  const header = new TextEncoder().encode(JSON.stringify({ id, call, args: headerArgs }));
  const total = 4 + header.length + blobs.reduce((sum, blob) => sum + blob.length, 0);
  const frame = new Uint8Array(total);
  new DataView(frame.buffer).setUint32(0, header.length);
  frame.set(header, 4);
  let offset = 4 + header.length;
  for (const blob of blobs) {
    frame.set(blob, offset);
    offset += blob.length;
  }
  return frame;
}

export type DecodedCall =
  { readonly ok: true; readonly frame: CallFrame } | { readonly ok: false; readonly reason: string };

/**
 * Decodes a call frame from the page (untrusted). Byte arguments are COPIED out (the caller wipes the frame).
 * Only top-level arguments may be byte slots; everything is bounded.
 */
export function decodeCallFrame(frame: Uint8Array, copyBytes: (bytes: Uint8Array) => Uint8Array): DecodedCall {
  if (frame.length < 4 || frame.length > MAX_CALL_FRAME_BYTES) return { ok: false, reason: 'frame size' };
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  if (headerLength > MAX_HEADER_BYTES || 4 + headerLength > frame.length) return { ok: false, reason: 'header size' };
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(4, 4 + headerLength)));
  } catch (error: unknown) {
    return { ok: false, reason: `header is not JSON (${error instanceof Error ? error.name : 'error'})` };
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    return { ok: false, reason: 'header shape' };
  const { id, call, args } = header as Record<string, unknown>;
  if (!Number.isSafeInteger(id) || typeof call !== 'string' || call.length > 64 || !Array.isArray(args)) {
    return { ok: false, reason: 'header fields' };
  }
  let offset = 4 + headerLength;
  let slots = 0;
  const decodedArgs: unknown[] = [];
  for (const arg of args as unknown[]) {
    if (looksLikeByteSlot(arg) && !isByteSlot(arg)) return { ok: false, reason: 'byte arguments' };
    if (!isByteSlot(arg)) {
      decodedArgs.push(arg);
      continue;
    }
    slots += 1;
    if (slots > MAX_BYTES_ARGS || offset + arg.$bytes > frame.length) return { ok: false, reason: 'byte arguments' };
    decodedArgs.push(copyBytes(frame.subarray(offset, offset + arg.$bytes)));
    offset += arg.$bytes;
  }
  if (offset !== frame.length) return { ok: false, reason: 'trailing bytes' };
  return { ok: true, frame: { id: id as number, call, args: decodedArgs } };
}

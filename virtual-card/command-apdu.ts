/**
 * ISO 7816-4 command APDU decoding for the emulator: cases 1–4, short and extended. Anything whose
 * lengths do not add up is reported as 'wrong-length' rather than guessed at.
 */

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data: Uint8Array;
  /** Expected response length (256 for short Le=00, 65536 for extended 0000); undefined when absent. */
  readonly le: number | undefined;
  readonly extended: boolean;
}

export type DecodedApdu =
  { readonly ok: true; readonly apdu: CommandApdu } | { readonly ok: false; readonly reason: 'wrong-length' };

const WRONG_LENGTH = { ok: false, reason: 'wrong-length' } as const;

export function decodeCommandApdu(bytes: Uint8Array): DecodedApdu {
  if (bytes.length < 4) return WRONG_LENGTH;
  const [cla = 0, ins = 0, p1 = 0, p2 = 0] = bytes;
  const header = { cla, ins, p1, p2 };
  const body = bytes.subarray(4);
  if (body.length === 0) return ok({ ...header, data: new Uint8Array(0), le: undefined, extended: false });
  const b0 = body[0] ?? 0;
  if (body.length === 1) return ok({ ...header, data: new Uint8Array(0), le: b0 === 0 ? 256 : b0, extended: false });
  if (b0 !== 0 || body.length < 3) return decodeShort(header, body);
  return decodeExtended(header, body);
}

function decodeShort(header: Pick<CommandApdu, 'cla' | 'ins' | 'p1' | 'p2'>, body: Uint8Array): DecodedApdu {
  const lc = body[0] ?? 0;
  if (lc === 0) return WRONG_LENGTH;
  if (body.length === 1 + lc) return ok({ ...header, data: body.slice(1), le: undefined, extended: false });
  if (body.length === 2 + lc) {
    const le = body[1 + lc] ?? 0;
    return ok({ ...header, data: body.slice(1, 1 + lc), le: le === 0 ? 256 : le, extended: false });
  }
  return WRONG_LENGTH;
}

function decodeExtended(header: Pick<CommandApdu, 'cla' | 'ins' | 'p1' | 'p2'>, body: Uint8Array): DecodedApdu {
  const word = ((body[1] ?? 0) << 8) | (body[2] ?? 0);
  if (body.length === 3)
    return ok({ ...header, data: new Uint8Array(0), le: word === 0 ? 65536 : word, extended: true });
  const lc = word;
  if (lc === 0) return WRONG_LENGTH;
  if (body.length === 3 + lc) return ok({ ...header, data: body.slice(3, 3 + lc), le: undefined, extended: true });
  if (body.length === 5 + lc) {
    const le = ((body[3 + lc] ?? 0) << 8) | (body[4 + lc] ?? 0);
    return ok({ ...header, data: body.slice(3, 3 + lc), le: le === 0 ? 65536 : le, extended: true });
  }
  return WRONG_LENGTH;
}

function ok(apdu: CommandApdu): DecodedApdu {
  return { ok: true, apdu };
}

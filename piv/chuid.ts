/**
 * Card Holder Unique Identifier (SP 800-73-4 Part 1 §3.1.2, object 5FC102):
 * 30 FASC-N, 34 GUID, 35 expiration YYYYMMDD, 36 cardholder UUID, 3E issuer signature, FE EDC.
 * The signature is reported as present, not verified (that needs the content signer's chain).
 */
import type { ChuidInfo, FascnInfo } from '../contracts/card.ts';
import { isPivError, PivError } from './errors.ts';
import { inspectFascn } from './fascn.ts';
import { DATA_CONTAINER_TAG, formatUuid, hexOf, unwrapDataObject } from './objects.ts';
import { findValue, parseTlvs } from './tlv.ts';

const TAG = { FASCN: 0x30, GUID: 0x34, EXPIRATION: 0x35, CARDHOLDER_UUID: 0x36, SIGNATURE: 0x3e, EDC: 0xfe } as const;

/** A FASC-N with its checks, for display; throws 'malformed-fascn' for undecodable bytes. */
export function fascnInfo(bytes: Uint8Array): FascnInfo {
  const { fields, parityOk, lrcOk } = inspectFascn(bytes);
  return { ...fields, hex: hexOf(bytes), parityOk, lrcOk };
}

function parseExpiration(bytes: Uint8Array): string | null {
  const text = Buffer.from(bytes).toString('latin1');
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (match === null) return null;
  const [, year, month, day] = match;
  const iso = `${year}-${month}-${day}`;
  // Reject dates like 20251341 that Date would roll over.
  const parsed = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(iso) ? iso : null;
}

function optionalUuid(bytes: Uint8Array | undefined, what: string): string | null {
  if (bytes === undefined || bytes.every((b) => b === 0)) return null;
  return formatUuid(bytes, what);
}

/** Parses the CHUID contents (the value inside 53). */
export function parseChuid(contents: Uint8Array): ChuidInfo {
  const items = parseTlvs(contents, { trailing: 'allow-padding' });
  const fascnBytes = findValue(items, TAG.FASCN);
  let fascn: FascnInfo | null = null;
  let fascnError: string | null = null;
  if (fascnBytes !== undefined) {
    try {
      fascn = fascnInfo(fascnBytes);
    } catch (error) {
      if (!isPivError(error)) throw error;
      fascnError = error.code; // keep reading: GUID and dates are still useful to a help desk
    }
  }
  const expiration = findValue(items, TAG.EXPIRATION);
  return {
    fascn,
    fascnError,
    guid: optionalUuid(findValue(items, TAG.GUID), 'CHUID GUID'),
    expirationDate: expiration === undefined ? null : parseExpiration(expiration),
    cardholderUuid: optionalUuid(findValue(items, TAG.CARDHOLDER_UUID), 'CHUID cardholder UUID'),
    signed: (findValue(items, TAG.SIGNATURE)?.length ?? 0) > 0,
  };
}

/** Parses a GET DATA 5FC102 response (53 {...}). */
export function parseChuidObject(response: Uint8Array): ChuidInfo {
  const contents = unwrapDataObject(response, DATA_CONTAINER_TAG, 'CHUID');
  if (contents.length === 0) throw new PivError('not-found', 'CHUID is empty');
  return parseChuid(contents);
}

/**
 * The Card Capability Container (5FC107) and key history object (5FC10C): read for diagnostics,
 * reported with the few fields a person can act on.
 */
import { PivError } from './errors.ts';
import { DATA_CONTAINER_TAG, hexOf, unwrapDataObject } from './objects.ts';
import { findValue, parseTlvs } from './tlv.ts';

export interface CardCapabilityContainer {
  /** F0 card identifier (GSC-RID + manufacturer + card type + card ID), hex. */
  readonly cardIdentifier: string;
  /** F1 capability container version. */
  readonly containerVersion: number | null;
  /** F2 capability grammar version. */
  readonly grammarVersion: number | null;
  /** F4 PKCS#15 indicator present and non-zero. */
  readonly pkcs15: boolean;
  /** F5 registered data model number (0x10 for PIV). */
  readonly dataModelNumber: number | null;
}

export interface KeyHistory {
  /** C1: retired keys whose certificates are on the card. */
  readonly keysWithOnCardCertificates: number;
  /** C2: retired keys whose certificates are only at the off-card URL. */
  readonly keysWithOffCardCertificates: number;
  /** F3: URL of the off-card certificates; null when absent. */
  readonly offCardCertificateUrl: string | null;
}

const singleByte = (value: Uint8Array | undefined): number | null => (value?.length === 1 ? (value[0] ?? null) : null);

export function parseCccObject(response: Uint8Array): CardCapabilityContainer {
  const items = parseTlvs(unwrapDataObject(response, DATA_CONTAINER_TAG, 'CCC'), { trailing: 'allow-padding' });
  const identifier = findValue(items, 0xf0);
  if (identifier === undefined) throw new PivError('malformed-object', 'CCC: tag F0 missing');
  return {
    cardIdentifier: hexOf(identifier),
    containerVersion: singleByte(findValue(items, 0xf1)),
    grammarVersion: singleByte(findValue(items, 0xf2)),
    pkcs15: (findValue(items, 0xf4)?.[0] ?? 0) !== 0,
    dataModelNumber: singleByte(findValue(items, 0xf5)),
  };
}

export function parseKeyHistoryObject(response: Uint8Array): KeyHistory {
  const items = parseTlvs(unwrapDataObject(response, DATA_CONTAINER_TAG, 'key history'), { trailing: 'allow-padding' });
  const url = findValue(items, 0xf3);
  return {
    keysWithOnCardCertificates: singleByte(findValue(items, 0xc1)) ?? 0,
    keysWithOffCardCertificates: singleByte(findValue(items, 0xc2)) ?? 0,
    offCardCertificateUrl: url === undefined || url.length === 0 ? null : Buffer.from(url).toString('latin1'),
  };
}

/**
 * Discovery object (SP 800-73-4 Part 1 §3.3.2, tag 7E): 4F the PIV AID, 5F2F the PIN usage policy.
 * Byte 1: 0x40 application PIN satisfies, 0x20 global PIN satisfies, 0x10 OCC satisfies.
 * Byte 2 (meaningful when the global PIN satisfies): 0x10 application PIN primary, 0x20 global PIN primary.
 */
import type { DiscoveryInfo, PinReferenceName } from '../contracts/card.ts';
import { PivError } from './errors.ts';
import { hexOf, OBJECT_TAG, unwrapDataObject } from './objects.ts';
import { parseTlvs, requireValue } from './tlv.ts';

const TAG = { AID: 0x4f, PIN_USAGE_POLICY: 0x5f2f } as const;

export const PIN_REFERENCE: Readonly<Record<PinReferenceName, number>> = { application: 0x80, global: 0x00 };

export function parseDiscovery(contents: Uint8Array): DiscoveryInfo {
  const items = parseTlvs(contents, { trailing: 'allow-padding' });
  const aid = requireValue(items, TAG.AID, 'discovery object');
  const policy = requireValue(items, TAG.PIN_USAGE_POLICY, 'discovery object');
  const first = policy[0];
  const second = policy[1];
  if (first === undefined || second === undefined) {
    throw new PivError('malformed-object', `discovery object: PIN usage policy of ${policy.length} byte(s)`);
  }
  const globalPinSatisfies = (first & 0x20) !== 0;
  return {
    aid: hexOf(aid),
    applicationPinSatisfies: (first & 0x40) !== 0,
    globalPinSatisfies,
    occSatisfies: (first & 0x10) !== 0,
    // A card saying "global primary" without the global PIN satisfying anything is contradictory;
    // the application PIN is the one that always exists, so it wins.
    primaryPin: globalPinSatisfies && second === 0x20 ? 'global' : 'application',
  };
}

/**
 * Parses a GET DATA 7E response. A zero-length discovery object (`7E 00`, e.g. GSA ICAM test card 25 "Discovery
 * Object Not Present") is an absent one: rejects with 'not-found', so callers use the application PIN as they do
 * for a card without the object (SP 800-73-4 Part 1 §3.3.2: the object is optional).
 */
export function parseDiscoveryObject(response: Uint8Array): DiscoveryInfo {
  const contents = unwrapDataObject(response, OBJECT_TAG.DISCOVERY, 'discovery object');
  if (contents.length === 0)
    throw new PivError('not-found', 'discovery object is empty (zero-length 7E): treated as absent');
  return parseDiscovery(contents);
}

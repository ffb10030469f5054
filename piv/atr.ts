/**
 * Just enough ATR parsing (ISO 7816-3 §8.2) to find the historical bytes and, in them, the card
 * capabilities compact-TLV (ISO 7816-4 §8.1.1.2.7) that says whether extended Lc/Le is supported.
 * Malformed ATRs yield "not supported" rather than an error: the safe default is short APDUs.
 */

/** The historical bytes of an ATR, or undefined when the ATR is malformed. */
export function historicalBytes(atr: Uint8Array): Uint8Array | undefined {
  const t0 = atr[1];
  if (t0 === undefined) return undefined;
  const historicalCount = t0 & 0x0f;
  let offset = 2;
  let y = t0 >> 4;
  // Walk TA/TB/TC/TD interface bytes; each TDi says which of the next group are present.
  for (;;) {
    const present = [0x1, 0x2, 0x4].filter((bit) => (y & bit) !== 0).length;
    offset += present;
    if ((y & 0x8) === 0) break;
    const td = atr[offset];
    if (td === undefined) return undefined;
    offset += 1;
    y = td >> 4;
  }
  if (offset + historicalCount > atr.length) return undefined;
  return atr.subarray(offset, offset + historicalCount);
}

const CARD_CAPABILITIES_TAG = 0x7;
/** Third software function table, b7: "Extended Lc and Le fields". */
const EXTENDED_LENGTH_BIT = 0x40;

function compactTlvObjects(historical: Uint8Array): Uint8Array | undefined {
  const category = historical[0];
  // 0x80: compact-TLV objects, status possibly inside them. 0x00: objects + 3 trailing status bytes.
  if (category === 0x80) return historical.subarray(1);
  if (category === 0x00 && historical.length >= 4) return historical.subarray(1, historical.length - 3);
  return undefined;
}

/** True when the ATR's card capabilities announce extended Lc/Le fields. */
export function supportsExtendedLength(atr: Uint8Array): boolean {
  const historical = historicalBytes(atr);
  if (historical === undefined) return false;
  const objects = compactTlvObjects(historical);
  if (objects === undefined) return false;
  let offset = 0;
  while (offset < objects.length) {
    const header = objects[offset] ?? 0;
    const tag = header >> 4;
    const length = header & 0x0f;
    if (offset + 1 + length > objects.length) return false;
    if (tag === CARD_CAPABILITIES_TAG && length >= 3) {
      return ((objects[offset + 3] ?? 0) & EXTENDED_LENGTH_BIT) !== 0;
    }
    offset += 1 + length;
  }
  return false;
}

// INTEGER values as keys. Certificate serial numbers are compared across sources that encode them separately (the
// card's certificate, CRL entries, OCSP requests), and a serial is a *signed* INTEGER (X.690 §8.3: two's
// complement): `02 02 00 FF` is 255, `02 01 FF` is −1. Dropping leading 00 octets (as hex display does) makes the
// two equal, so a revocation of −1 would revoke 255. The key kept here is the shortest two's-complement form.

/**
 * Lower-case hex of the INTEGER's content octets reduced to the shortest two's-complement form: redundant leading
 * 00 (before a byte < 0x80) and FF (before a byte ≥ 0x80) octets are dropped, nothing else. Equal keys ⇔ equal values.
 */
export function canonicalIntegerHex(content: Uint8Array): string {
  let start = 0;
  while (start < content.byteLength - 1) {
    const first = content[start] ?? 0;
    const next = content[start + 1] ?? 0;
    const redundant = (first === 0x00 && next < 0x80) || (first === 0xff && next >= 0x80);
    if (!redundant) break;
    start += 1;
  }
  return Buffer.from(content.subarray(start)).toString('hex');
}

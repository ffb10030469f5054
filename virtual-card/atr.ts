/**
 * The virtual card's ATR: T=1, historical bytes in compact-TLV (category 0x80) with
 * card capabilities (tag 7, 3 bytes) advertising command chaining and extended Lc/Le, so clients
 * that read capabilities from the ATR may use extended length.
 */

const CARD_CAPABILITIES = [0x73, 0x80, 0x01, 0xc0]; // DF selection by full name; 0x01 data coding; chaining + extended Lc/Le
const ISSUER_DATA = [0x53, 0x44, 0x43, 0x4b]; // tag 5 (card issuer's data), "DCK"

export function virtualCardAtr(): Uint8Array {
  const historical = [0x80, ...CARD_CAPABILITIES, ...ISSUER_DATA];
  // T0: TD1 present, K historical bytes; TD1: TD2 present, T=0; TD2: T=1. TCK needed because T=1 is offered.
  const body = [0x80 | historical.length, 0x80, 0x01, ...historical];
  const tck = body.reduce((acc, b) => acc ^ b, 0);
  return Uint8Array.from([0x3b, ...body, tck]);
}

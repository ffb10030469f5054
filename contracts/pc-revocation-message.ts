// What a PC's own derived-credential key signs to ask the issuer to revoke that credential (`dck pc remove`, the
// old credential after `dck pc renew`, a credential whose install failed). Defined once for the PC (cli/pc/) and
// the issuer (issuer/pc/revoke-pc-credential.ts). Pure: no I/O, no hashing.
//
//   message = "DCK PC-REVOKE v1" ‖ 0x00 ‖ issuerNonce (32 bytes, a PKI-AUTH challenge) ‖ serial (hex, ASCII) ‖ 0x00 ‖ cause (ASCII)
//
// Why the device key and not the card: the person removing a PC may no longer have the card (lost, returned on
// leaving), and only the PC holding the key can produce this signature, so nobody else can revoke its credential.
// Why it cannot be another protocol's message: the first 17 bytes are a context string and a NUL no other protocol
// starts with (see pki-auth-message.ts), distinct from PKI-AUTH's, so a PKI-AUTH signature is never one of these
// and the reverse; the challenge makes each signature single-use, and the serial and cause bind it to one request.

import { PKI_AUTH_ISSUER_NONCE_BYTES as NONCE_BYTES } from './pki-auth-message.ts';

export const PC_REVOCATION_CONTEXT = 'DCK PC-REVOKE v1';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

export type PcRevocationMessageResult = { ok: true; message: Uint8Array } | { ok: false; reason: string };

/** The to-be-signed bytes; refuses a nonce of another length, a serial that is not lower-case hex, a cause with other characters. */
export function pcRevocationMessage(
  issuerNonce: Uint8Array,
  serialNumberHex: string,
  cause: string,
): PcRevocationMessageResult {
  if (issuerNonce.byteLength !== NONCE_BYTES)
    return { ok: false, reason: `the issuer's challenge must be ${NONCE_BYTES} bytes, not ${issuerNonce.byteLength}` };
  if (!/^[0-9a-f]{2,40}$/.test(serialNumberHex)) return { ok: false, reason: 'the serial must be lower-case hex' };
  if (!/^[a-z-]{1,32}$/.test(cause)) return { ok: false, reason: 'the cause must be lower-case letters and hyphens' };
  const parts = [ascii(PC_REVOCATION_CONTEXT), Uint8Array.of(0), issuerNonce, ascii(serialNumberHex), Uint8Array.of(0)];
  parts.push(ascii(cause));
  const message = new Uint8Array(parts.reduce((length, part) => length + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.byteLength;
  }
  return { ok: true, message };
}

// What the card signs in PKI-AUTH, defined once for the kiosk (piv/pki-auth.ts), the issuer
// (issuer/pki-auth/signature.ts), `dck card sign` and conformance tests. Pure: no I/O, no hashing, no imports.
//
//   message = "DCK PKI-AUTH v1" ‖ 0x00 ‖ issuerNonce (32 random bytes) ‖ kioskNonce (32 random bytes)   (80 bytes)
//
// The kiosk hashes the message (SHA-256; SHA-384 for P-384 keys) and the card signs that digest (ECDSA over the
// digest; RSA-2048 PKCS#1 v1.5 over DigestInfo(digest)) — i.e. an ordinary signature over `message`.
//
// Why a signature over this can never be another protocol's message: the kiosk, not the issuer, fixes the first
// 16 bytes (a context string and a NUL no other protocol starts with: TLS 1.3 CertificateVerify content starts
// with 64 spaces, TLS 1.2 signed params with the peer's 32 random bytes, SSH with a uint32 length, X.509/CMS/
// OCSP with a DER SEQUENCE 0x30, JWS with "eyJ") and the last 32 (its own fresh random nonce), and the length is
// fixed. Whoever poses as the issuer chooses only the 32 bytes in the middle, so the best it can obtain is a
// signature over a "DCK PKI-AUTH v1" message — worthless anywhere but here.

/** The context string: a new construction gets a new version, never a reuse of this one. */
export const PKI_AUTH_CONTEXT = 'DCK PKI-AUTH v1';
/** Random bytes the issuer sends as its challenge. */
export const PKI_AUTH_ISSUER_NONCE_BYTES = 32;
/** Random bytes the kiosk adds (and sends back with the signature). */
export const PKI_AUTH_KIOSK_NONCE_BYTES = 32;
/** Length of either nonce in unpadded base64url, as it travels in the issuer API. */
export const PKI_AUTH_NONCE_BASE64URL_CHARS = Math.ceil((PKI_AUTH_ISSUER_NONCE_BYTES * 4) / 3);

const CONTEXT_BYTES = Uint8Array.from(PKI_AUTH_CONTEXT, (c) => c.charCodeAt(0));
export const PKI_AUTH_MESSAGE_BYTES =
  CONTEXT_BYTES.length + 1 + PKI_AUTH_ISSUER_NONCE_BYTES + PKI_AUTH_KIOSK_NONCE_BYTES;

export type PkiAuthMessageResult = { ok: true; message: Uint8Array } | { ok: false; reason: string };

/**
 * The to-be-signed bytes for one PKI-AUTH exchange. Refuses (never pads or cuts) a nonce of the wrong length,
 * so an issuer cannot get a differently shaped message signed and the issuer never verifies one.
 */
export function pkiAuthMessage(issuerNonce: Uint8Array, kioskNonce: Uint8Array): PkiAuthMessageResult {
  if (issuerNonce.byteLength !== PKI_AUTH_ISSUER_NONCE_BYTES) {
    return {
      ok: false,
      reason: `the issuer's challenge must be ${PKI_AUTH_ISSUER_NONCE_BYTES} bytes, not ${issuerNonce.byteLength}`,
    };
  }
  if (kioskNonce.byteLength !== PKI_AUTH_KIOSK_NONCE_BYTES) {
    return {
      ok: false,
      reason: `the kiosk nonce must be ${PKI_AUTH_KIOSK_NONCE_BYTES} bytes, not ${kioskNonce.byteLength}`,
    };
  }
  const message = new Uint8Array(PKI_AUTH_MESSAGE_BYTES);
  message.set(CONTEXT_BYTES, 0);
  message[CONTEXT_BYTES.length] = 0x00;
  message.set(issuerNonce, CONTEXT_BYTES.length + 1);
  message.set(kioskNonce, CONTEXT_BYTES.length + 1 + PKI_AUTH_ISSUER_NONCE_BYTES);
  return { ok: true, message };
}

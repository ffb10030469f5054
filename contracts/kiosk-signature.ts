// How a kiosk proves who it is to the issuer, defined once for the kiosk (main/) and the issuer (issuer/kiosks/):
// the replay window both its signed heartbeat (kiosk-heartbeat.ts) and its signed calls use, and the canonical
// message of a signed call. Pure: no I/O, no crypto (the caller hashes the body), no imports.
//
//   header  x-dck-kiosk-signature: kiosk=NAME;sent-at=MS;nonce=B64URL;signature=B64URL
//   message = UTF-8 of the JSON array ["DCK kiosk request v1", kiosk, METHOD, path?query, base64url SHA-256 of the
//             body bytes as sent, sentAt, nonce]
//
// The kiosk signs the message with its Ed25519 key (main/identity/kiosk-identity.ts), registered by an administrator
// (`dck admin kiosks add`). The issuer takes a call whose sentAt is within the window of its clock and whose nonce
// it has not seen from that kiosk within the window, so a captured call can be played back neither later nor twice.
// Method, path and body are in the message: a signature lifted onto another call does not verify.

/** How far a signed heartbeat's or call's sentAt may be from the issuer's clock, either way. */
export const KIOSK_SIGNATURE_WINDOW_MS = 60_000;
export const KIOSK_SIGNATURE_HEADER = 'x-dck-kiosk-signature';
export const KIOSK_REQUEST_CONTEXT = 'DCK kiosk request v1';

/** The request as the kiosk sent it: method, path with query, and the SHA-256 of its body bytes (base64url). */
export interface SignedRequestParts {
  readonly method: string;
  readonly path: string;
  readonly bodySha256: string;
}

export interface KioskSignatureFields {
  readonly kiosk: string;
  readonly sentAt: number;
  readonly nonce: string;
}

export interface KioskSignatureHeader extends KioskSignatureFields {
  /** base64url of the 64-byte Ed25519 signature. */
  readonly signature: string;
}

/** The bytes the kiosk signs for one call. */
export function kioskRequestMessage(fields: KioskSignatureFields, request: SignedRequestParts): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify([
      KIOSK_REQUEST_CONTEXT,
      fields.kiosk,
      request.method,
      request.path,
      request.bodySha256,
      fields.sentAt,
      fields.nonce,
    ]),
  );
}

export function formatKioskSignatureHeader(header: KioskSignatureHeader): string {
  return `kiosk=${header.kiosk};sent-at=${header.sentAt};nonce=${header.nonce};signature=${header.signature}`;
}

// Kiosk names as KioskName (issuer-api.ts) allows them; a nonce of 16–64 base64url characters; an Ed25519
// signature is 64 bytes, 86 base64url characters; sentAt a whole number of milliseconds (13 digits until 2286).
const HEADER =
  /^kiosk=([A-Za-z0-9._:-]{1,64});sent-at=([0-9]{1,15});nonce=([A-Za-z0-9_-]{16,64});signature=([A-Za-z0-9_-]{86})$/;

/** The header's fields, or null when it is not exactly the shape above (any other header is refused whole). */
export function parseKioskSignatureHeader(text: string): KioskSignatureHeader | null {
  if (text.length > 300) return null;
  const match = HEADER.exec(text);
  if (match === null) return null;
  const [, kiosk, sentAt, nonce, signature] = match;
  if (kiosk === undefined || sentAt === undefined || nonce === undefined || signature === undefined) return null;
  return { kiosk, sentAt: Number(sentAt), nonce, signature };
}

// The text in the QR code the kiosk shows: `<issuer base URL>/e/<enrollmentId>`. No schema library here, so
// the phone, the issuer and tests share it without pulling in the issuer's contract.

/** Identifiers and tokens minted by the issuer: base64url of 16–32 random bytes (checked again by the schemas). */
export const OPAQUE_ID_PATTERN = '^[A-Za-z0-9_-]{16,64}$';
const OPAQUE_ID = new RegExp(OPAQUE_ID_PATTERN);

/** Short, so the QR code stays low-density. */
export const QR_PAYLOAD_MARKER = '/e/';
const MAX_QR_PAYLOAD_LENGTH = 512;

export function formatQrPayload(issuerBaseUrl: string, enrollmentId: string): string {
  return `${issuerBaseUrl.replace(/\/+$/, '')}${QR_PAYLOAD_MARKER}${enrollmentId}`;
}

export type QrPayloadParse =
  | { ok: true; issuerBaseUrl: string; enrollmentId: string }
  | { ok: false; code: 'qr-not-an-enrollment'; message: string };

/** Splits a scanned QR payload into the issuer base URL (https only) and the enrollment id. */
export function parseQrPayload(payload: string): QrPayloadParse {
  const refuse = (message: string): QrPayloadParse => ({ ok: false, code: 'qr-not-an-enrollment', message });
  if (payload.length > MAX_QR_PAYLOAD_LENGTH) return refuse('The QR code is too long to be an enrollment code.');
  const at = payload.lastIndexOf(QR_PAYLOAD_MARKER);
  if (at < 0) return refuse('The QR code does not contain an enrollment.');
  const issuerBaseUrl = payload.slice(0, at);
  const enrollmentId = payload.slice(at + QR_PAYLOAD_MARKER.length);
  if (!OPAQUE_ID.test(enrollmentId)) return refuse('The enrollment id in the QR code is malformed.');
  let url: URL;
  try {
    url = new URL(issuerBaseUrl);
  } catch (error: unknown) {
    return refuse(`The issuer address in the QR code is not a URL (${error instanceof Error ? error.name : 'error'}).`);
  }
  if (url.protocol !== 'https:') return refuse('The issuer address in the QR code must use https.');
  return { ok: true, issuerBaseUrl, enrollmentId };
}

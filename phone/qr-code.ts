// The QR code the kiosk shows, taken either as text or as a PNG photo/screenshot. Both are hostile input: the
// PNG is checked for size before it is decompressed, and the payload must be an enrollment of the very issuer
// this phone started its device flow with — a QR pointing elsewhere would send our OTP and CSR to a stranger.
import { readFile, stat } from 'node:fs/promises';
import { PNG } from 'pngjs';
import jsQR from 'jsqr';
import { parseQrPayload } from '../contracts/qr-payload.ts';

const MAX_PNG_FILE_BYTES = 10 * 1024 * 1024;
/** Width × height bound checked on the PNG header, before decompression (a "PNG bomb" is tiny on disk). */
const MAX_PNG_PIXELS = 4096 * 4096;
const MAX_PAYLOAD_CHARS = 512;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export type QrCodeError = 'qr-image-unreadable' | 'qr-not-found' | 'qr-not-an-enrollment' | 'qr-wrong-issuer';
export type QrResult<T> = { ok: true; value: T } | { ok: false; code: QrCodeError; message: string };

/** Reads the text of the first QR code in a PNG file. */
export async function decodeQrImageFile(file: string): Promise<QrResult<string>> {
  try {
    const info = await stat(file);
    if (!info.isFile()) return { ok: false, code: 'qr-image-unreadable', message: `${file} is not a file` };
    if (info.size > MAX_PNG_FILE_BYTES)
      return {
        ok: false,
        code: 'qr-image-unreadable',
        message: `${file} is larger than ${MAX_PNG_FILE_BYTES / 1024 / 1024} MB`,
      };
    return decodeQrPng(await readFile(file));
  } catch (error) {
    return {
      ok: false,
      code: 'qr-image-unreadable',
      message: `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    };
  }
}

export function decodeQrPng(png: Buffer): QrResult<string> {
  const header = pngDimensions(png);
  if (typeof header === 'string') return { ok: false, code: 'qr-image-unreadable', message: header };
  let image: PNG;
  try {
    image = PNG.sync.read(png);
  } catch (error) {
    return {
      ok: false,
      code: 'qr-image-unreadable',
      message: `the image is not a readable PNG (${error instanceof Error ? error.message.slice(0, 80) : 'error'})`,
    };
  }
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const found = jsQR(pixels, image.width, image.height, { inversionAttempts: 'attemptBoth' });
  if (found === null) return { ok: false, code: 'qr-not-found', message: 'no QR code was found in the image' };
  return { ok: true, value: found.data };
}

function pngDimensions(png: Buffer): { width: number; height: number } | string {
  // Signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4).
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') {
    return 'the image is not a PNG file';
  }
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  if (width === 0 || height === 0 || width * height > MAX_PNG_PIXELS)
    return `the image is ${width}×${height} pixels, outside the accepted size`;
  return { width, height };
}

export interface EnrollmentQr {
  readonly issuerBaseUrl: string;
  readonly enrollmentId: string;
}

/**
 * Accepts a scanned payload only if it is `<our issuer>/e/<enrollment id>`: printable ASCII, bounded, https,
 * no credentials/query/fragment, same origin and path as the issuer the device flow was started with.
 */
export function readEnrollmentQr(payload: string, expectedIssuerUrl: string): QrResult<EnrollmentQr> {
  const refuse = (code: QrCodeError, message: string): QrResult<EnrollmentQr> => ({ ok: false, code, message });
  const text = payload.trim();
  if (text.length === 0 || text.length > MAX_PAYLOAD_CHARS)
    return refuse('qr-not-an-enrollment', `the QR code text must be 1 to ${MAX_PAYLOAD_CHARS} characters`);
  if (!/^[\x21-\x7e]+$/.test(text))
    return refuse(
      'qr-not-an-enrollment',
      'the QR code contains spaces, control or non-ASCII characters, so it is not an enrollment code',
    );
  const parsed = parseQrPayload(text);
  if (!parsed.ok) return refuse('qr-not-an-enrollment', parsed.message);
  const scanned = new URL(parsed.issuerBaseUrl);
  if (scanned.username !== '' || scanned.password !== '' || scanned.search !== '' || scanned.hash !== '') {
    return refuse(
      'qr-not-an-enrollment',
      'the issuer address in the QR code carries credentials, a query or a fragment',
    );
  }
  const expected = new URL(expectedIssuerUrl);
  if (scanned.origin !== expected.origin || trimSlash(scanned.pathname) !== trimSlash(expected.pathname)) {
    return refuse(
      'qr-wrong-issuer',
      `the QR code belongs to ${scanned.origin}, not to the issuer this phone registered with (${expected.origin}); nothing was sent`,
    );
  }
  return { ok: true, value: { issuerBaseUrl: parsed.issuerBaseUrl, enrollmentId: parsed.enrollmentId } };
}

function trimSlash(path: string): string {
  return path.replace(/\/+$/, '');
}

// Turns text into the geometry of a QR code: one SVG path of the dark modules plus the size of the whole
// symbol including its quiet zone. Rendering it as a real <svg> element (not an inline-style or data: URL)
// keeps the page compatible with a strict Content-Security-Policy.
import QRCode from 'qrcode';

/** ISO/IEC 18004 asks for 4 modules of light margin; phones scan faster with it. */
export const QUIET_ZONE_MODULES = 4;
/** Payloads are short URLs; anything longer is refused before it reaches the encoder. */
const MAX_PAYLOAD_LENGTH = 1024;

export interface QrGeometry {
  /** Width and height in modules, quiet zone included (the SVG viewBox). */
  readonly sizeInModules: number;
  /** Dark modules as horizontal runs: `M{x} {y}h{run}v1h-{run}z` per run. */
  readonly darkPath: string;
}

export type QrGeometryResult =
  | { readonly ok: true; readonly value: QrGeometry }
  | { readonly ok: false; readonly error: { readonly code: 'qr-too-long' | 'qr-empty' } };

export function qrGeometry(text: string, quietZone = QUIET_ZONE_MODULES): QrGeometryResult {
  if (text.length === 0) return { ok: false, error: { code: 'qr-empty' } };
  if (text.length > MAX_PAYLOAD_LENGTH) return { ok: false, error: { code: 'qr-too-long' } };
  const symbol = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = symbol.modules.size;
  const isDark = (x: number, y: number): boolean => Boolean(symbol.modules.get(y, x));
  return {
    ok: true,
    value: { sizeInModules: size + 2 * quietZone, darkPath: darkModulesPath(size, isDark, quietZone) },
  };
}

/** Runs of dark modules per row, shifted by the quiet zone. Exported for the unit test's round trip. */
export function darkModulesPath(size: number, isDark: (x: number, y: number) => boolean, offset: number): string {
  const parts: string[] = [];
  for (let y = 0; y < size; y += 1) {
    let x = 0;
    while (x < size) {
      if (!isDark(x, y)) {
        x += 1;
        continue;
      }
      const start = x;
      while (x < size && isDark(x, y)) x += 1;
      const run = x - start;
      parts.push(`M${start + offset} ${y + offset}h${run}v1h-${run}z`);
    }
  }
  return parts.join('');
}

// The QR drawn on the enrollment screen must decode to the payload: rasterise the SVG path the component
// draws (parsed back from its d attribute) and decode it with jsQR.
import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import { QUIET_ZONE_MODULES, darkModulesPath, qrGeometry } from '../../../renderer/logic/qr-path.ts';

const PIXELS_PER_MODULE = 6;

/** Fills the runs of `M{x} {y}h{n}v1h-{n}z` into an RGBA image, white elsewhere. */
function rasterise(sizeInModules: number, path: string): { data: Uint8ClampedArray; width: number } {
  const width = sizeInModules * PIXELS_PER_MODULE;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  const runs = [...path.matchAll(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g)];
  expect(runs.map((m) => m[0]).join('')).toBe(path); // the path is nothing but runs
  for (const [, xs, ys, ns] of runs) {
    const x0 = Number(xs),
      y0 = Number(ys),
      n = Number(ns);
    for (let py = y0 * PIXELS_PER_MODULE; py < (y0 + 1) * PIXELS_PER_MODULE; py += 1) {
      for (let px = x0 * PIXELS_PER_MODULE; px < (x0 + n) * PIXELS_PER_MODULE; px += 1) {
        const offset = (py * width + px) * 4;
        data[offset] = 0;
        data[offset + 1] = 0;
        data[offset + 2] = 0;
      }
    }
  }
  return { data, width };
}

describe('QR geometry', () => {
  it.each(['https://issuer.example.org/e/q3Z8mV1rT0aK9sLw', 'https://help.example.org/kiosk', 'x'])(
    'decodes back to %s',
    (payload) => {
      const geometry = qrGeometry(payload);
      if (!geometry.ok) throw new Error(geometry.error.code);
      const { data, width } = rasterise(geometry.value.sizeInModules, geometry.value.darkPath);
      expect(jsQR(data, width, width)?.data).toBe(payload);
    },
  );

  it('keeps a white quiet zone of at least four modules on every side', () => {
    const geometry = qrGeometry('https://issuer.example.org/e/abc');
    if (!geometry.ok) throw new Error(geometry.error.code);
    const { sizeInModules, darkPath } = geometry.value;
    for (const [, xs, ys, ns] of darkPath.matchAll(/M(\d+) (\d+)h(\d+)/g)) {
      expect(Number(xs)).toBeGreaterThanOrEqual(QUIET_ZONE_MODULES);
      expect(Number(ys)).toBeGreaterThanOrEqual(QUIET_ZONE_MODULES);
      expect(Number(xs) + Number(ns)).toBeLessThanOrEqual(sizeInModules - QUIET_ZONE_MODULES);
      expect(Number(ys) + 1).toBeLessThanOrEqual(sizeInModules - QUIET_ZONE_MODULES);
    }
  });

  it('refuses empty and oversized payloads instead of drawing something unscannable', () => {
    expect(qrGeometry('')).toEqual({ ok: false, error: { code: 'qr-empty' } });
    expect(qrGeometry('a'.repeat(5000))).toEqual({ ok: false, error: { code: 'qr-too-long' } });
  });

  it('merges neighbouring dark modules into one run', () => {
    const row = [true, true, false, true];
    expect(darkModulesPath(4, (x, y) => y === 0 && (row[x] ?? false), 4)).toBe('M4 4h2v1h-2zM7 4h1v1h-1z');
  });
});

// The phone's QR input: real PNGs made by `qrcode`, decoded with jsqr + pngjs and cross-checked with zbarimg;
// every hostile payload and image refused with a message a person can act on.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import QRCode from 'qrcode';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeQrImageFile, decodeQrPng, readEnrollmentQr } from '../../../phone/qr-code.ts';

const ISSUER = 'https://127.0.0.1:8443';
const ENROLLMENT_ID = 'Zx8_Qm2-Lk5Pw9Rt3Vb7Nc';
const GOOD_PAYLOAD = `${ISSUER}/e/${ENROLLMENT_ID}`;
const workDir = mkdtempSync(join(tmpdir(), 'dck-phone-qr-'));

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('QR payload', () => {
  it('accepts an enrollment of the issuer this phone registered with', () => {
    expect(readEnrollmentQr(GOOD_PAYLOAD, `${ISSUER}/`)).toEqual({
      ok: true,
      value: { issuerBaseUrl: ISSUER, enrollmentId: ENROLLMENT_ID },
    });
  });

  const hostile: [string, string, RegExp][] = [
    ['another issuer', `https://evil.example/e/${ENROLLMENT_ID}`, /not to the issuer this phone registered with/],
    [
      'credentials that hide another host',
      `https://127.0.0.1:8443@evil.example/e/${ENROLLMENT_ID}`,
      /not to the issuer|credentials/,
    ],
    ['our host, other port', `https://127.0.0.1:9443/e/${ENROLLMENT_ID}`, /not to the issuer/],
    ['plain http', `http://127.0.0.1:8443/e/${ENROLLMENT_ID}`, /https/],
    ['a javascript: URL', `javascript:alert(1)//e/${ENROLLMENT_ID}`, /https|not a URL/],
    ['no enrollment marker', 'https://127.0.0.1:8443/welcome', /does not contain an enrollment/],
    ['a malformed enrollment id', `${ISSUER}/e/../../admin`, /malformed/],
    ['an id with a query', `${ISSUER}/e/${ENROLLMENT_ID}?next=evil`, /malformed/],
    ['a query in the issuer part', `${ISSUER}/?x=1/e/${ENROLLMENT_ID}`, /query|not to the issuer/],
    ['control characters', `${GOOD_PAYLOAD}\u0000`, /control or non-ASCII/],
    ['non-ASCII look-alikes', `https://127.0.0.1:8443/е/${ENROLLMENT_ID}`, /control or non-ASCII/],
    ['a huge payload', `${ISSUER}/e/${'A'.repeat(2000)}`, /1 to 512 characters/],
    ['an empty payload', '   ', /1 to 512 characters/],
    ['Wi-Fi credentials', 'WIFI:T:WPA;S:guest;P:hunter2;;', /does not contain an enrollment/],
  ];
  for (const [name, payload, message] of hostile) {
    it(`refuses ${name}`, () => {
      const result = readEnrollmentQr(payload, ISSUER);
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.message).toMatch(message);
    });
  }
});

describe('QR image', () => {
  it('decodes a PNG made by qrcode, and zbarimg reads the same text', async () => {
    const file = join(workDir, 'enrollment.png');
    writeFileSync(file, await QRCode.toBuffer(GOOD_PAYLOAD, { errorCorrectionLevel: 'M', margin: 4, scale: 6 }));
    const decoded = await decodeQrImageFile(file);
    expect(decoded).toEqual({ ok: true, value: GOOD_PAYLOAD });
    const zbar = execFileSync('zbarimg', ['--quiet', '--raw', file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
    expect(zbar).toBe(GOOD_PAYLOAD);
  });

  it('decodes a dark-mode (inverted) QR code', async () => {
    const png = await QRCode.toBuffer(GOOD_PAYLOAD, { color: { dark: '#ffffffff', light: '#000000ff' }, scale: 6 });
    expect(decodeQrPng(png)).toEqual({ ok: true, value: GOOD_PAYLOAD });
  });

  it('refuses a file that is not a PNG', async () => {
    const file = join(workDir, 'not.png');
    writeFileSync(file, 'GIF89a not a png at all');
    expect(await decodeQrImageFile(file)).toMatchObject({
      ok: false,
      code: 'qr-image-unreadable',
      message: 'the image is not a PNG file',
    });
  });

  it('refuses a missing file and a directory', async () => {
    expect(await decodeQrImageFile(join(workDir, 'missing.png'))).toMatchObject({
      ok: false,
      code: 'qr-image-unreadable',
    });
    expect(await decodeQrImageFile(workDir)).toMatchObject({ ok: false, code: 'qr-image-unreadable' });
  });

  it('refuses a truncated PNG', async () => {
    const png = await QRCode.toBuffer(GOOD_PAYLOAD);
    expect(decodeQrPng(png.subarray(0, Math.floor(png.length / 2)))).toMatchObject({
      ok: false,
      code: 'qr-image-unreadable',
    });
  });

  it('refuses a decompression bomb by its header, before inflating it', () => {
    expect(decodeQrPng(pngWithHeader(100_000, 100_000))).toMatchObject({
      ok: false,
      code: 'qr-image-unreadable',
      message: expect.stringContaining('100000×100000') as unknown,
    });
  });

  it('says so when the picture holds no QR code', () => {
    expect(decodeQrPng(blankPng(64, 64))).toMatchObject({ ok: false, code: 'qr-not-found' });
  });
});

/** A PNG whose IHDR claims a size; the body is irrelevant because it must never be inflated. */
function pngWithHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function blankPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const rows = Buffer.alloc((width + 1) * height, 0xff);
  for (let row = 0; row < height; row += 1) rows[row * (width + 1)] = 0; // filter byte "none"
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0, 0);
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return crc ^ 0xffffffff;
}

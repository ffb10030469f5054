// user_code / QR payload parsing (hostile inputs), code generation alphabet, keyed OTP hashing.
import { describe, expect, it } from 'vitest';
import { formatQrPayload, parseQrPayload } from '../../../contracts/qr-payload.ts';
import { USER_CODE_ALPHABET, formatUserCode, normalizeUserCode } from '../../../contracts/user-code.ts';
import { checkCsr } from '../../../issuer/ca/csr.ts';
import { CodeHasher, newOtp, newUserCode } from '../../../issuer/secrets.ts';

describe('user_code', () => {
  it('accepts any case, with or without dash or spaces', () => {
    for (const typed of ['WDJB-MJHT', 'wdjbmjht', ' wdjb mjht ', 'WdJb-MjHt'])
      expect(normalizeUserCode(typed)).toBe('WDJBMJHT');
  });

  it('refuses vowels, digits, wrong lengths, look-alikes and huge input', () => {
    for (const typed of [
      '',
      'WDJB-MJH',
      'WDJB-MJHTX',
      'AEIO-UAEI',
      '0000-0000',
      'WDJB-MJH1',
      'WDJB_MJHT',
      'x'.repeat(10_000),
      'ẀDJB-MJHT',
    ]) {
      expect(normalizeUserCode(typed)).toBeNull();
    }
  });

  it('generated codes use only the consonant alphabet and show as XXXX-XXXX', () => {
    for (let i = 0; i < 200; i += 1) {
      const code = newUserCode();
      expect([...code].every((char) => USER_CODE_ALPHABET.includes(char))).toBe(true);
      expect(normalizeUserCode(formatUserCode(code))).toBe(code);
    }
  });
});

describe('QR payload', () => {
  it('round-trips issuer URL and enrollment id', () => {
    const payload = formatQrPayload('https://issuer.example:8443/', 'AbCdEfGhIjKlMnOpQrStUv');
    expect(payload).toBe('https://issuer.example:8443/e/AbCdEfGhIjKlMnOpQrStUv');
    expect(parseQrPayload(payload)).toEqual({
      ok: true,
      issuerBaseUrl: 'https://issuer.example:8443',
      enrollmentId: 'AbCdEfGhIjKlMnOpQrStUv',
    });
  });

  it('refuses http, non-URLs, bad ids and oversized payloads', () => {
    for (const payload of [
      'http://issuer.example/e/AbCdEfGhIjKlMnOpQrStUv',
      'nonsense/e/AbCdEfGhIjKlMnOpQrStUv',
      'https://issuer.example/e/short',
      'https://issuer.example/e/AbCdEfGhIjKlMnOp<script>',
      'https://issuer.example/x',
      `https://issuer.example/e/${'A'.repeat(600)}`,
    ]) {
      expect(parseQrPayload(payload).ok).toBe(false);
    }
  });
});

describe('OTP', () => {
  it('is numeric with the configured length', () => {
    for (const length of [6, 8, 12]) expect(newOtp(length)).toMatch(new RegExp(`^\\d{${length}}$`));
  });

  it('hash is keyed by the server secret and bound to the enrollment', () => {
    const a = new CodeHasher(new Uint8Array(32).fill(1));
    const b = new CodeHasher(new Uint8Array(32).fill(2));
    const hash = a.hash('otp', 'enrollment-1', '12345678');
    expect(hash).not.toContain('12345678');
    expect(a.matches(hash, 'otp', 'enrollment-1', '12345678')).toBe(true);
    expect(a.matches(hash, 'otp', 'enrollment-2', '12345678')).toBe(false);
    expect(a.matches(hash, 'otp', 'enrollment-1', '12345679')).toBe(false);
    expect(b.matches(hash, 'otp', 'enrollment-1', '12345678')).toBe(false);
    expect(() => new CodeHasher(new Uint8Array(8))).toThrow();
  });
});

describe('CSR parser on hostile input', () => {
  it('answers csr-invalid (never throws) for garbage, truncation and oversize', () => {
    const inputs = [
      '',
      '   ',
      'MA',
      'MAA',
      Buffer.from([0x30, 0x82, 0xff, 0xff]).toString('base64url'),
      Buffer.alloc(7000, 0x30).toString('base64url'),
      '-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----',
      Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]).toString('base64url'),
    ];
    for (const input of inputs) {
      const result = checkCsr(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.code).toBe('csr-invalid');
    }
  });
});

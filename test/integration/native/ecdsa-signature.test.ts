// r || s → DER conversion used on CKM_ECDSA output, checked against OpenSSL's verifier via node:crypto.
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rawEcdsaToDer } from '../../../native/pkcs11/index.ts';

describe('rawEcdsaToDer', () => {
  it('turns P-256 and P-384 raw signatures into DER that verifies', () => {
    for (const namedCurve of ['P-256', 'P-384']) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
      for (let round = 0; round < 20; round += 1) {
        const message = Buffer.from(`message ${round}`);
        const raw = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        expect(verify('sha256', message, publicKey, rawEcdsaToDer(raw))).toBe(true);
      }
    }
  });

  it('keeps INTEGERs positive and minimal', () => {
    const raw = new Uint8Array(64);
    raw[0] = 0x80;
    raw[63] = 0x01; // r has its top bit set, s has 31 leading zero bytes
    const der = rawEcdsaToDer(raw);
    expect(Buffer.from(der.subarray(0, 6)).toString('hex')).toBe('302602210080');
    expect(Buffer.from(der.subarray(-3)).toString('hex')).toBe('020101');
  });

  it('refuses odd, empty and oversized input', () => {
    expect(() => rawEcdsaToDer(new Uint8Array(0))).toThrow(RangeError);
    expect(() => rawEcdsaToDer(new Uint8Array(63))).toThrow(RangeError);
    expect(() => rawEcdsaToDer(new Uint8Array(134))).toThrow(RangeError);
  });
});

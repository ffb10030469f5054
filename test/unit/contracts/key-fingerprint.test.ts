// The key fingerprint an agent affirms: the same text on every side, and only fingerprints accepted as typed input.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatKeyFingerprint, normalizeKeyFingerprint } from '../../../contracts/key-fingerprint.ts';

describe('key fingerprint', () => {
  it('is the first 8 bytes of the SHA-256 in four dashed groups of upper-case hex', () => {
    const digest = createHash('sha256').update('spki').digest();
    const expected = digest.subarray(0, 8).toString('hex').toUpperCase();
    expect(formatKeyFingerprint(digest)).toBe(
      `${expected.slice(0, 4)}-${expected.slice(4, 8)}-${expected.slice(8, 12)}-${expected.slice(12)}`,
    );
  });

  it('reads what an agent types (any case, dashes optional) and nothing else', () => {
    expect(normalizeKeyFingerprint('a1b2c3d4e5f60718')).toBe('A1B2-C3D4-E5F6-0718');
    expect(normalizeKeyFingerprint('A1B2-c3d4-E5F6-0718')).toBe('A1B2-C3D4-E5F6-0718');
    for (const bad of ['A1B2-C3D4-E5F6', 'A1B2-C3D4-E5F6-071G', "' OR 1=1 --", 'A1B2--C3D4-E5F6-0718', ''])
      expect(normalizeKeyFingerprint(bad), bad).toBeNull();
  });
});

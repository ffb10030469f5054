// Record ids and bearer tokens come from a pooled CSPRNG buffer: every one must be fresh, full length and
// URL-safe, including those cut across a refill of the pool.
import { describe, expect, it } from 'vitest';
import { newOpaqueToken, newRecordId } from '../../../issuer/secrets.ts';

describe('record ids and opaque tokens', () => {
  it('never repeat, keep their length and alphabet across many refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i += 1) {
      const id = newRecordId();
      const token = newOpaqueToken();
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      seen.add(id);
      seen.add(token);
    }
    expect(seen.size).toBe(40_000);
  });

  it('serves a token larger than the pool in one piece', () => {
    expect(newOpaqueToken(5000)).toMatch(/^[A-Za-z0-9_-]{6667}$/);
  });

  it('is not skewed: each base64url character appears about as often as the others', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i += 1) {
      // The first 21 characters of a 16-byte id carry 6 random bits each (the 22nd only 2).
      for (const character of newRecordId().slice(0, 21)) counts.set(character, (counts.get(character) ?? 0) + 1);
    }
    expect(counts.size).toBe(64);
    const expected = (4000 * 21) / 64;
    for (const count of counts.values()) expect(Math.abs(count - expected)).toBeLessThan(expected * 0.25);
  });
});

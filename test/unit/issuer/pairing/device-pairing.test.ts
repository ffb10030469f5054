// The number-matching number: two digits from the issuer's secret, the phone's record and the sign-in that shows
// it; the same for the kiosk and the phone, unpredictable without the secret, and spread evenly.
import { describe, expect, it } from 'vitest';
import { matchNumberFor } from '../../../../issuer/pairing/device-pairing.ts';
import { CodeHasher } from '../../../../issuer/secrets.ts';

const codes = new CodeHasher(new Uint8Array(32).fill(7));

describe('matchNumberFor', () => {
  it('is two digits, the same every time for one phone and one sign-in (kiosk and phone agree)', () => {
    const number = matchNumberFor(codes, 'device-a', 'session-1');
    expect(number).toMatch(/^[0-9]{2}$/);
    expect(matchNumberFor(codes, 'device-a', 'session-1')).toBe(number);
  });

  it('depends on the server secret: another issuer (or someone without the secret) gets other numbers', () => {
    const other = new CodeHasher(new Uint8Array(32).fill(8));
    const ids = Array.from({ length: 50 }, (_, i) => `device-${i}`);
    const same = ids.filter((id) => matchNumberFor(codes, id, 's') === matchNumberFor(other, id, 's')).length;
    expect(same).toBeLessThan(6); // 50 draws agreeing by chance (1 in 100 each): ≥ 6 has probability < 1e-4
  });

  it('is spread evenly over 00–99 (no number an attacker could bet on)', () => {
    const counts = new Map<string, number>();
    const draws = 20_000;
    for (let i = 0; i < draws; i += 1) {
      const number = matchNumberFor(codes, `device-${i}`, `session-${i % 7}`);
      counts.set(number, (counts.get(number) ?? 0) + 1);
    }
    expect(counts.size).toBe(100);
    // Chi-square with 99 degrees of freedom: 160 is beyond the 0.99995 quantile.
    const expected = draws / 100;
    const chiSquare = [...counts.values()].reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(160);
  });
});

// The bounded caller's reading of Retry-After (contracts/issuer-caller.ts parseRetryAfter): the issuer's header is
// hostile input like the rest of its answer. Delay-seconds and IMF-fixdate only; anything else is "none given".
import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../contracts/issuer-caller.ts';

const NOW = Date.parse('2026-12-07T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds and an HTTP-date (a date in the past is 0)', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('57', NOW)).toBe(57);
    expect(parseRetryAfter(' 3 ', NOW)).toBe(3);
    expect(parseRetryAfter('Mon, 07 Dec 2026 00:01:30 GMT', NOW)).toBe(90);
    expect(parseRetryAfter('Sun, 06 Dec 2026 23:00:00 GMT', NOW)).toBe(0);
  });

  it('a huge number is read as it is (the caller bounds the wait), but never beyond nine digits', () => {
    expect(parseRetryAfter('999999999', NOW)).toBe(999_999_999);
    expect(parseRetryAfter('1000000000', NOW)).toBeNull();
    expect(parseRetryAfter('9'.repeat(400), NOW)).toBeNull();
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['negative', '-5'],
    ['signed', '+5'],
    ['fractional', '1.5'],
    ['exponent', '1e3'],
    ['hex', '0x10'],
    ['two values', ['5', '6']],
    ['not a date', 'soon'],
    ['a date in another form', '2026-12-07T00:01:00Z'],
    ['an obsolete RFC 850 date', 'Monday, 07-Dec-26 00:01:30 GMT'],
    ['a date that does not exist', 'Mon, 99 Dec 2026 99:99:99 GMT'],
    ['control characters', '5\u001b[2J'],
  ] as const)('%s: none given', (_what, header) => {
    expect(parseRetryAfter(header as string | string[] | undefined, NOW)).toBeNull();
  });
});

// "Last seen … ago" on the console's Kiosks screen, in English and Dutch, by the largest whole unit.
import { describe, expect, it } from 'vitest';
import { timeAgo } from '../../../../../renderer/agent/logic/relative-time.ts';

const THEN = '2026-12-06T12:00:00.000Z';
const at = (seconds: number): number => Date.parse(THEN) + seconds * 1000;

describe('time ago', () => {
  it.each([
    [0, 'en', 'now'],
    [42, 'en', '42 seconds ago'],
    [60, 'en', '1 minute ago'],
    [7 * 60 + 59, 'en', '7 minutes ago'],
    [3 * 3600 + 5, 'en', '3 hours ago'],
    [86_400, 'en', 'yesterday'],
    [3 * 86_400, 'en', '3 days ago'],
    [181, 'nl', '3 minuten geleden'],
  ] as const)('%i s later in %s: %s', (seconds, language, text) => {
    expect(timeAgo(THEN, at(seconds), language)).toBe(text);
  });

  it('a clock behind the kiosk (a time in the future) says "now", not "in 5 seconds"', () => {
    expect(timeAgo(THEN, at(-5), 'en')).toBe('now');
  });
});

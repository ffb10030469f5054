import { describe, expect, it } from 'vitest';
import { deadlineFromIso, deadlineFromSeconds, formatMinutesSeconds, secondsLeftUntil } from '../../../renderer/logic/countdown.ts';

describe('countdown maths', () => {
  const now = Date.parse('2026-11-23T10:00:00.000Z');

  it('rounds partial seconds up so the display reaches 0 only when the time is over', () => {
    expect(secondsLeftUntil(now + 4001, now)).toBe(5);
    expect(secondsLeftUntil(now + 4000, now)).toBe(4);
    expect(secondsLeftUntil(now + 1, now)).toBe(1);
    expect(secondsLeftUntil(now, now)).toBe(0);
  });

  it('never goes negative after the deadline', () => {
    expect(secondsLeftUntil(now - 60_000, now)).toBe(0);
  });

  it('counts down to an ISO expiry from the enrollment view', () => {
    expect(secondsLeftUntil(deadlineFromIso('2026-11-23T10:05:00Z'), now)).toBe(300);
  });

  it('treats an unparsable expiry as expired (shows "New code" instead of a frozen timer)', () => {
    expect(secondsLeftUntil(deadlineFromIso('not a date'), now)).toBe(0);
    expect(secondsLeftUntil(deadlineFromIso(''), now)).toBe(0);
    expect(secondsLeftUntil(Number.POSITIVE_INFINITY, now)).toBe(0);
  });

  it('counts "N seconds" from when the view arrived', () => {
    expect(secondsLeftUntil(deadlineFromSeconds(10, now), now + 3500)).toBe(7);
    expect(secondsLeftUntil(deadlineFromSeconds(-5, now), now)).toBe(0);
    expect(secondsLeftUntil(deadlineFromSeconds(Number.NaN, now), now)).toBe(0);
  });

  it('formats m:ss', () => {
    expect(formatMinutesSeconds(300)).toBe('5:00');
    expect(formatMinutesSeconds(65)).toBe('1:05');
    expect(formatMinutesSeconds(9)).toBe('0:09');
    expect(formatMinutesSeconds(0)).toBe('0:00');
    expect(formatMinutesSeconds(4200)).toBe('70:00');
    expect(formatMinutesSeconds(-3)).toBe('0:00');
    expect(formatMinutesSeconds(Number.NaN)).toBe('0:00');
  });
});

import { describe, expect, it } from 'vitest';
import {
  deadlineFromIso,
  deadlineFromSeconds,
  minutesAndSeconds,
  secondsLeftUntil,
} from '../../../renderer/logic/countdown.ts';

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

  it('splits into minutes and seconds ("9 min 59 s")', () => {
    expect(minutesAndSeconds(599)).toEqual({ minutes: 9, seconds: 59 });
    expect(minutesAndSeconds(65)).toEqual({ minutes: 1, seconds: 5 });
    expect(minutesAndSeconds(9)).toEqual({ minutes: 0, seconds: 9 });
    expect(minutesAndSeconds(4200)).toEqual({ minutes: 70, seconds: 0 });
    expect(minutesAndSeconds(-3)).toEqual({ minutes: 0, seconds: 0 });
    expect(minutesAndSeconds(Number.NaN)).toEqual({ minutes: 0, seconds: 0 });
  });
});

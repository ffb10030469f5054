// The console's kiosk list poll: read at once and on each tick, never two reads at a time (a slow issuer is not
// overtaken), a throwing read told as `unreachable`, nothing delivered after stop.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KioskAnswer } from '../../../../main/console/kiosk-poll.ts';
import { pollKiosks } from '../../../../main/console/kiosk-poll.ts';

const LIST: KioskAnswer = { ok: true, value: { kiosks: [] } };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('kiosk list poll', () => {
  it('reads at once and every interval, one read at a time, and stops', async () => {
    const answers: KioskAnswer[] = [];
    let release: (answer: KioskAnswer) => void = () => undefined;
    let reads = 0;
    const stop = pollKiosks(
      () => {
        reads += 1;
        return new Promise((resolve) => {
          release = resolve;
        });
      },
      (answer) => answers.push(answer),
      1_000,
    );
    expect(reads).toBe(1);
    await vi.advanceTimersByTimeAsync(3_000); // the first read still pending: no second one
    expect(reads).toBe(1);
    release(LIST);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(answers).toEqual([LIST]);
    expect(reads).toBe(2);
    stop();
    release(LIST);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(answers).toEqual([LIST]);
    expect(reads).toBe(2);
  });

  it('a read that throws is an unreachable issuer, not an unhandled rejection', async () => {
    const answers: KioskAnswer[] = [];
    const stop = pollKiosks(
      () => Promise.reject(new Error('socket hang up')),
      (answer) => answers.push(answer),
      1_000,
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(answers).toEqual([{ ok: false, error: { code: 'unreachable', detail: 'kiosk list read failed' } }]);
    stop();
  });
});

// Quitting the Electron shell waits for the app to stop (a "Set up this PC" step under way ends first), then quits;
// a stop that never ends is given up after the deadline. Electron's 'will-quit' is played by the test.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { quitWhenStopped } from '../../../../main/electron/clean-quit.ts';

function quitEvent(): { preventDefault: () => void; prevented: () => boolean } {
  let prevented = false;
  return { preventDefault: () => void (prevented = true), prevented: () => prevented };
}

describe('electron shell quit', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('holds the quit until the app has stopped, then quits once and lets that quit through', async () => {
    let finishStep: () => void = () => undefined;
    const stop = vi.fn(() => new Promise<void>((resolve) => (finishStep = resolve)));
    const quit = vi.fn();
    const logged: string[] = [];
    const onWillQuit = quitWhenStopped({ stop, quit, deadlineMs: 60_000, log: (event) => logged.push(event) });

    const first = quitEvent();
    onWillQuit(first);
    expect(first.prevented()).toBe(true);
    // Asked again while stopping (a second Ctrl-Q): still held, stop not run twice.
    const again = quitEvent();
    onWillQuit(again);
    expect(again.prevented()).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(quit).not.toHaveBeenCalled();

    finishStep();
    await vi.advanceTimersByTimeAsync(0);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(quit).toHaveBeenCalledTimes(1);
    const last = quitEvent();
    onWillQuit(last);
    expect(last.prevented()).toBe(false);
    expect(logged).toEqual([]);
  });

  it('quits after the deadline when the app never stops (a TPM that does not answer), and says so', async () => {
    const quit = vi.fn();
    const logged: string[] = [];
    const onWillQuit = quitWhenStopped({
      stop: () => new Promise<void>(() => undefined),
      quit,
      deadlineMs: 60_000,
      log: (event, fields) => logged.push(JSON.stringify({ event, ...fields })),
    });
    onWillQuit(quitEvent());
    await vi.advanceTimersByTimeAsync(59_999);
    expect(quit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(quit).toHaveBeenCalledTimes(1);
    expect(logged).toEqual([JSON.stringify({ event: 'stop-timed-out', afterMs: 60_000 })]);
  });

  it('quits when stopping fails, logging only the error name', async () => {
    const quit = vi.fn();
    const logged: string[] = [];
    const onWillQuit = quitWhenStopped({
      stop: () => Promise.reject(new TypeError('token PIN 12345678 refused')),
      quit,
      deadlineMs: 60_000,
      log: (event, fields) => logged.push(JSON.stringify({ event, ...fields })),
    });
    onWillQuit(quitEvent());
    await vi.advanceTimersByTimeAsync(0);
    expect(quit).toHaveBeenCalledTimes(1);
    expect(logged).toEqual([JSON.stringify({ event: 'stop-failed', error: 'TypeError' })]);
  });
});

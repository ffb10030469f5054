// The updater driver with a fake clock and a fake updater: it checks at start, installs a downloaded update only
// after the kiosk has been idle, and never in the middle of a card session.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KioskView } from '../../../../contracts/kiosk-api.ts';
import { startKioskUpdater } from '../../../../main/update/kiosk-updater.ts';
import type { UpdaterPort } from '../../../../main/update/kiosk-updater.ts';

const MINUTE = 60_000;
const welcome: KioskView = { screen: 'welcome', virtualCardOffered: false };
const reading: KioskView = { screen: 'reading-card' };

/** FAKE updater: records calls; the test says when a download finished. */
function fakeUpdater() {
  let downloaded: (version: string) => void = () => undefined;
  const calls: string[] = [];
  const port: UpdaterPort = {
    checkAndDownload: () => {
      calls.push('check');
      return Promise.resolve();
    },
    onDownloaded: (listener) => {
      downloaded = listener;
    },
    installAndRestart: () => {
      calls.push('install');
    },
  };
  return { port, calls, download: (version: string) => downloaded(version) };
}

function fakeViews(initial: KioskView) {
  const listeners = new Set<(view: KioskView) => void>();
  const views = {
    view: initial,
    onView: (listener: (view: KioskView) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    views,
    show: (view: KioskView) => {
      views.view = view;
      for (const listener of listeners) listener(view);
    },
  };
}

beforeEach(() => vi.useFakeTimers({ now: 0 }));
afterEach(() => vi.useRealTimers());

describe('startKioskUpdater', () => {
  it('checks at start, installs after 10 idle minutes, not during a session', async () => {
    const updater = fakeUpdater();
    const { views, show } = fakeViews(welcome);
    const stop = startKioskUpdater({
      updater: updater.port,
      views,
      policy: { checkEveryMs: 60 * MINUTE, idleBeforeInstallMs: 10 * MINUTE },
      log: () => undefined,
      now: Date.now,
      tickMs: MINUTE,
    });
    expect(updater.calls).toEqual(['check']);
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    updater.download('1.1.0');
    show(reading); // someone inserts a card
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    expect(updater.calls).toEqual(['check']);
    show(welcome);
    await vi.advanceTimersByTimeAsync(9 * MINUTE);
    expect(updater.calls).toEqual(['check']);
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    expect(updater.calls).toEqual(['check', 'install']);
    await vi.advanceTimersByTimeAsync(60 * MINUTE);
    expect(updater.calls).toEqual(['check', 'install']); // once
    stop();
  });

  it('keeps running after a failed check, and checks again at the next interval', async () => {
    const updater = fakeUpdater();
    const logs: string[] = [];
    let failures = 0;
    const port: UpdaterPort = {
      ...updater.port,
      checkAndDownload: () => {
        failures += 1;
        return Promise.reject(new Error('feed down'));
      },
    };
    const stop = startKioskUpdater({
      updater: port,
      views: fakeViews(welcome).views,
      policy: { checkEveryMs: 60 * MINUTE, idleBeforeInstallMs: MINUTE },
      log: (event) => logs.push(event),
      tickMs: MINUTE,
    });
    await vi.advanceTimersByTimeAsync(61 * MINUTE);
    expect(failures).toBe(2);
    expect(logs).toEqual(['update-check-failed', 'update-check-failed']);
    stop();
  });
});

// The kiosk's update schedule with a fake clock: checks on time, installs only after the kiosk has been idle (no
// card session) long enough, and never while a session runs.
import { describe, expect, it } from 'vitest';
import type { KioskView } from '../../../../contracts/kiosk-api.ts';
import { INITIAL_UPDATE_STATE, nextUpdateAction, onView } from '../../../../main/update/update-schedule.ts';
import type { UpdateScheduleState } from '../../../../main/update/update-schedule.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const policy = { checkEveryMs: 4 * HOUR, idleBeforeInstallMs: 10 * MINUTE };
const welcome: KioskView = { screen: 'welcome', virtualCardOffered: false };
const pin: KioskView = {
  screen: 'pin',
  holderName: 'A',
  triesLeft: 3,
  lastTryWarning: false,
  lastAttempt: 'none',
  busy: false,
};

/** A fake clock that walks the kiosk through views and asks the schedule at each step. */
function walk(steps: readonly (readonly [number, KioskView | null])[], start: UpdateScheduleState) {
  let state = start;
  return steps.map(([at, view]) => {
    if (view !== null) state = onView(state, view, at);
    return nextUpdateAction(state, at, policy).kind;
  });
}

describe('update schedule', () => {
  it('checks at start, then every checkEveryMs, never while a check runs', () => {
    expect(nextUpdateAction(INITIAL_UPDATE_STATE, 0, policy)).toEqual({ kind: 'check' });
    const checked = { ...INITIAL_UPDATE_STATE, lastCheckAt: 0 };
    expect(nextUpdateAction(checked, 4 * HOUR - 1, policy)).toEqual({ kind: 'wait' });
    expect(nextUpdateAction(checked, 4 * HOUR, policy)).toEqual({ kind: 'check' });
    expect(nextUpdateAction({ ...checked, checking: true }, 5 * HOUR, policy)).toEqual({ kind: 'wait' });
  });

  it('installs a downloaded update only after the welcome screen has shown for the idle time', () => {
    const downloaded = { ...INITIAL_UPDATE_STATE, lastCheckAt: 0, downloaded: '1.2.0' };
    expect(
      walk(
        [
          [0, welcome],
          [9 * MINUTE, null],
          [10 * MINUTE, null],
        ],
        downloaded,
      ),
    ).toEqual(['wait', 'wait', 'install']);
    expect(nextUpdateAction(onView(downloaded, welcome, 0), 10 * MINUTE, policy)).toEqual({
      kind: 'install',
      version: '1.2.0',
    });
  });

  it('never installs while a card session runs, and starts the idle time again after it', () => {
    const downloaded = { ...INITIAL_UPDATE_STATE, lastCheckAt: 0, downloaded: '1.2.0' };
    expect(
      walk(
        [
          [0, welcome],
          [5 * MINUTE, pin],
          [30 * MINUTE, null],
          [31 * MINUTE, welcome],
          [40 * MINUTE, null],
          [41 * MINUTE, welcome],
          [41 * MINUTE, null],
        ],
        downloaded,
      ),
    ).toEqual(['wait', 'wait', 'wait', 'wait', 'wait', 'install', 'install']);
  });

  it('keeps the start of idleness through repeated idle views (a welcome view offering the demo card again)', () => {
    let state = onView({ ...INITIAL_UPDATE_STATE, downloaded: '2.0.0', lastCheckAt: 0 }, welcome, 0);
    state = onView(state, { ...welcome, virtualCardOffered: true }, 8 * MINUTE);
    expect(state.idleSince).toBe(0);
    expect(nextUpdateAction(state, 10 * MINUTE, policy).kind).toBe('install');
  });

  it('counts the out-of-order screen as idle', () => {
    const state = onView(
      { ...INITIAL_UPDATE_STATE, downloaded: '2.0.0', lastCheckAt: 0 },
      { screen: 'out-of-order', reason: 'configuration' },
      0,
    );
    expect(nextUpdateAction(state, 10 * MINUTE, policy).kind).toBe('install');
  });
});

// When a kiosk checks for and installs updates: a pure decision over the time, what the updater has, and what the
// kiosk shows. No I/O and no clock of its own (the caller passes `now`), so the tests drive it with a fake clock.
//
// Rules: check every `checkEveryMs`; an update that is downloaded installs (which restarts the app) only when no
// card session is running — the kiosk shows its welcome or out-of-order screen — and has shown it for
// `idleBeforeInstallMs` without a break. Never during a session, never with a prompt.
import type { KioskView } from '../../contracts/kiosk-api.ts';

export interface UpdatePolicy {
  readonly checkEveryMs: number;
  readonly idleBeforeInstallMs: number;
}

export interface UpdateScheduleState {
  /** When the last check started; null before the first. */
  readonly lastCheckAt: number | null;
  readonly checking: boolean;
  /** Version downloaded and verified by the updater, waiting to be installed. */
  readonly downloaded: string | null;
  /** Since when the kiosk has shown a screen without a session; null while a session runs. */
  readonly idleSince: number | null;
}

export type UpdateAction =
  { readonly kind: 'check' } | { readonly kind: 'install'; readonly version: string } | { readonly kind: 'wait' };

export const INITIAL_UPDATE_STATE: UpdateScheduleState = {
  lastCheckAt: null,
  checking: false,
  downloaded: null,
  idleSince: null,
};

/** Screens on which nobody's card session is running. */
export function isIdleScreen(view: KioskView): boolean {
  return view.screen === 'welcome' || view.screen === 'out-of-order';
}

/** The kiosk showed `view` at `now`: idleness starts on the first idle screen and ends with any other. */
export function onView(state: UpdateScheduleState, view: KioskView, now: number): UpdateScheduleState {
  if (!isIdleScreen(view)) return state.idleSince === null ? state : { ...state, idleSince: null };
  return state.idleSince === null ? { ...state, idleSince: now } : state;
}

export function nextUpdateAction(state: UpdateScheduleState, now: number, policy: UpdatePolicy): UpdateAction {
  if (state.downloaded !== null) {
    const idleLongEnough = state.idleSince !== null && now - state.idleSince >= policy.idleBeforeInstallMs;
    return idleLongEnough ? { kind: 'install', version: state.downloaded } : { kind: 'wait' };
  }
  if (state.checking) return { kind: 'wait' };
  if (state.lastCheckAt === null || now - state.lastCheckAt >= policy.checkEveryMs) return { kind: 'check' };
  return { kind: 'wait' };
}

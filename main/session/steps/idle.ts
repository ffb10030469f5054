// Idle: after `idleSeconds` without a touch, "Still there?" counts down over the paused phase; an answer
// resumes it, the end of the countdown ends the session.
import type { Phase, SessionConfig, SessionState, Transition } from '../state.ts';
import { endSession, refuse, restartIdle, to, unchanged } from '../transition.ts';

export function personIsHere(state: SessionState, what: 'still-here' | 'activity', config: SessionConfig): Transition {
  const phase = state.phase;
  if (phase.kind === 'still-there') {
    return to(state, phase.paused, { type: 'cancel-timer', timer: 'warning-tick' }, restartIdle(config));
  }
  if (what === 'still-here') return refuse(state, 'not-now');
  if (phase.kind === 'welcome' || !idleGoverns(phase)) return unchanged(state);
  return { state, effects: [restartIdle(config)] };
}

export function idleTimeout(state: SessionState, config: SessionConfig): Transition {
  const phase = state.phase;
  if (phase.kind === 'welcome' || phase.kind === 'still-there' || !idleGoverns(phase)) return unchanged(state);
  return to(
    state,
    { kind: 'still-there', secondsLeft: config.warningSeconds, paused: phase },
    { type: 'start-timer', timer: 'warning-tick', seconds: 1 },
  );
}

export function warningTick(state: SessionState): Transition {
  const phase = state.phase;
  if (phase.kind !== 'still-there') return unchanged(state);
  if (phase.secondsLeft <= 1) return endSession(state, true);
  return to(
    state,
    { ...phase, secondsLeft: phase.secondsLeft - 1 },
    { type: 'start-timer', timer: 'warning-tick', seconds: 1 },
  );
}

/**
 * Whether "Still there?" may interrupt this phase. Not over a live QR/OTP: the person is busy with their phone
 * (a tap on the kiosk is not expected), and the enrollment's own lifetime ends it.
 */
function idleGoverns(phase: Phase): boolean {
  return !(phase.kind === 'enrollment' && phase.stopped === null);
}

// The kiosk session as a pure function: (state, event, config) → next state + effects. No I/O, no clock, no PIN.
// This file only routes: each step of the flow has its own file in steps/ (card, pin, phone-code, enrollment,
// idle, issuer-unreachable), all written in transition.ts's vocabulary.
// Rules that hold in every state (and are table-tested): the current card's removal returns to welcome and
// ends the session; a renderer call that does not fit the state is refused with the state unchanged; results
// of work for an older card insertion are ignored.
import { assertNever } from '../../contracts/kiosk-api.ts';
import type { ActivePhase, SessionConfig, SessionEvent, SessionState, TimerName, Transition } from './state.ts';
import { cardInserted, cardRead, cardRemoved, environmentChanged, useVirtualCard } from './steps/card.ts';
import { completion, completionRetryTimer, doneTimer, renewed, renewRequested } from './steps/enrollment.ts';
import { idleTimeout, personIsHere, warningTick } from './steps/idle.ts';
import { retryTick } from './steps/issuer-unreachable.ts';
import {
  deviceConfirmed,
  deviceDenied,
  deviceRefused,
  deviceShown,
  userCodeChecked,
  userCodeSubmitted,
} from './steps/phone-code.ts';
import { pinSubmitted, pinVerified, signedIn } from './steps/pin.ts';
import { endSession, refuse, sessionOf, unchanged } from './transition.ts';

export { sessionOf } from './transition.ts';

export const DEFAULT_SESSION_CONFIG: SessionConfig = {
  idleSeconds: 60,
  warningSeconds: 10,
  doneSeconds: 10,
  retryDelaysSeconds: [3, 5, 10, 20, 30],
  completionRetrySeconds: 3,
};

export const INITIAL_STATE: SessionState = {
  env: { readers: 'none', issuer: 'reachable', virtualCardAvailable: false },
  phase: { kind: 'welcome', cardInReader: null, cardWaiting: null },
};

export function reduce(state: SessionState, event: SessionEvent, config: SessionConfig): Transition {
  switch (event.type) {
    case 'readers-changed':
      return environmentChanged({ ...state, env: { ...state.env, readers: event.readers } }, config);
    case 'issuer-status':
      return environmentChanged({ ...state, env: { ...state.env, issuer: event.issuer } }, config);
    case 'virtual-card-availability':
      return unchanged({ ...state, env: { ...state.env, virtualCardAvailable: event.available } });
    case 'card-inserted':
      return cardInserted(state, event.sessionId, config);
    case 'card-removed':
      return cardRemoved(state, event.sessionId);
    case 'cancel':
      return state.phase.kind === 'welcome' ? unchanged(state) : endSession(state, true);
    case 'use-virtual-card':
      return useVirtualCard(state);
    case 'still-here':
    case 'activity':
      return personIsHere(state, event.type, config);
    case 'timer-fired':
      if (event.timer === 'idle') return idleTimeout(state, config);
      if (event.timer === 'warning-tick') return warningTick(state);
      return reduceInside(state, event, config);
    case 'card-read':
    case 'pin-verified':
    case 'signed-in':
    case 'device-shown':
    case 'device-denied':
    case 'user-code-checked':
    case 'renewed':
    case 'completion':
      if (sessionOf(state.phase) !== event.sessionId) return unchanged(state);
      return withIssuerReachability(reduceInside(state, event, config), event);
    case 'pin-submitted':
    case 'user-code-submitted':
    case 'device-confirmed':
    case 'device-refused':
    case 'renew-requested':
      return reduceInside(state, event, config);
    default:
      return assertNever(event, 'event');
  }
}

/** Issuer outcomes also tell the welcome screen whether the issuer answers. */
function withIssuerReachability(transition: Transition, event: SessionEvent): Transition {
  if (!('outcome' in event) || event.type === 'card-read' || event.type === 'pin-verified') return transition;
  const issuer = event.outcome.kind === 'unreachable' ? 'unreachable' : 'reachable';
  if (transition.state.env.issuer === issuer) return transition;
  return { ...transition, state: { ...transition.state, env: { ...transition.state.env, issuer } } };
}

/** Events about the running session (surroundings, presence and "I'm here" are handled in `reduce`). */
type InsideEvent = Extract<
  SessionEvent,
  {
    type:
      | 'card-read'
      | 'pin-verified'
      | 'signed-in'
      | 'device-shown'
      | 'device-denied'
      | 'user-code-checked'
      | 'renewed'
      | 'completion'
      | 'timer-fired'
      | 'pin-submitted'
      | 'user-code-submitted'
      | 'device-confirmed'
      | 'device-refused'
      | 'renew-requested';
  }
>;

/**
 * While "Still there?" shows, events still advance the paused phase (the issuer may answer meanwhile) but the
 * warning stays — except when the flow finishes or the session ends.
 */
function reduceInside(state: SessionState, event: InsideEvent, config: SessionConfig): Transition {
  const phase = state.phase;
  if (phase.kind === 'welcome') return isRendererCall(event) ? refuse(state, 'not-now') : unchanged(state);
  if (phase.kind !== 'still-there') return reduceActive(state, phase, event, config);
  if (isRendererCall(event)) return refuse(state, 'not-now');
  const inner = reduceActive(state, phase.paused, event, config);
  const next = inner.state.phase;
  if (next.kind === 'welcome' || next.kind === 'still-there' || next.kind === 'done') return inner;
  return { ...inner, state: { ...inner.state, phase: { ...phase, paused: next } } };
}

const RENDERER_CALLS: ReadonlySet<InsideEvent['type']> = new Set([
  'pin-submitted',
  'user-code-submitted',
  'device-confirmed',
  'device-refused',
  'renew-requested',
]);

function isRendererCall(event: InsideEvent): boolean {
  return RENDERER_CALLS.has(event.type);
}

function reduceActive(state: SessionState, phase: ActivePhase, event: InsideEvent, config: SessionConfig): Transition {
  switch (event.type) {
    case 'card-read':
      return cardRead(state, phase, event.outcome);
    case 'pin-submitted':
      return pinSubmitted(state, phase, event.confirmLastTry, config);
    case 'pin-verified':
      return pinVerified(state, phase, event.outcome);
    case 'signed-in':
      return signedIn(state, phase, event.outcome, config);
    case 'user-code-submitted':
      return userCodeSubmitted(state, phase, event.code, config);
    case 'device-shown':
      return deviceShown(state, phase, event.outcome, config);
    case 'device-confirmed':
      return deviceConfirmed(state, phase, config);
    case 'device-refused':
      return deviceRefused(state, phase, config);
    case 'device-denied':
      return deviceDenied(state, phase, event.outcome, config);
    case 'user-code-checked':
      return userCodeChecked(state, phase, event.outcome, config);
    case 'renew-requested':
      return renewRequested(state, phase, config);
    case 'renewed':
      return renewed(state, phase, event.outcome, config);
    case 'completion':
      return completion(state, phase, event.enrollmentId, event.outcome, config);
    case 'timer-fired':
      return activeTimer(state, phase, event.timer);
    default:
      return assertNever(event, 'session event');
  }
}

function activeTimer(state: SessionState, phase: ActivePhase, timer: TimerName): Transition {
  switch (timer) {
    case 'done':
      return doneTimer(state, phase);
    case 'completion-retry':
      return completionRetryTimer(state, phase);
    case 'retry-tick':
      return retryTick(state, phase);
    case 'idle':
    case 'warning-tick':
      return unchanged(state);
    default:
      return assertNever(timer, 'timer');
  }
}

// The small vocabulary every step of the session machine is written in: build a transition, refuse a call,
// find the card a phase is about, end a session. Pure, like the steps.
import { assertNever } from '../../contracts/kiosk-api.ts';
import type { KioskErrorCode, OutOfOrderReason } from '../../contracts/kiosk-api.ts';
import type {
  ActivePhase,
  Environment,
  Phase,
  SessionConfig,
  SessionEffect,
  SessionId,
  SessionState,
  Transition,
} from './state.ts';

export const to = (state: SessionState, phase: Phase, ...effects: SessionEffect[]): Transition => ({
  state: { ...state, phase },
  effects,
});
export const unchanged = (state: SessionState): Transition => ({ state, effects: [] });
export const refuse = (state: SessionState, refusal: KioskErrorCode): Transition => ({ state, effects: [], refusal });

export const restartIdle = (config: SessionConfig): SessionEffect => ({
  type: 'start-timer',
  timer: 'idle',
  seconds: config.idleSeconds,
});

/** The session id of the card a phase is about, or null on welcome without a card. */
export function sessionOf(phase: Phase): SessionId | null {
  switch (phase.kind) {
    case 'welcome':
      return phase.cardInReader ?? phase.cardWaiting;
    case 'still-there':
      return phase.paused.sessionId;
    case 'reading-card':
    case 'card-refused':
    case 'pin':
    case 'pin-blocked':
    case 'user-code':
    case 'confirm-device':
    case 'enrollment':
    case 'done':
    case 'issuer-unreachable':
      return phase.sessionId;
    default:
      return assertNever(phase, 'phase');
  }
}

/** Ends the running session: back to welcome, the card (if still in) remembered so it is not read again. */
export function endSession(state: SessionState, cardStillIn: boolean): Transition {
  const sessionId = sessionOf(state.phase);
  if (state.phase.kind === 'welcome') {
    return to(state, {
      kind: 'welcome',
      cardInReader: cardStillIn ? state.phase.cardInReader : null,
      cardWaiting: null,
    });
  }
  if (sessionId === null) return unchanged(state);
  return to(
    state,
    { kind: 'welcome', cardInReader: cardStillIn ? sessionId : null, cardWaiting: null },
    { type: 'end-session', sessionId },
  );
}

/** Why the kiosk cannot take a card now, or null when it can. The order is what the next person is told first. */
export function outOfOrderReason(env: Environment): Exclude<OutOfOrderReason, 'host-lost' | 'configuration'> | null {
  if (env.readers === 'service-down') return 'card-service';
  if (env.readers === 'none') return 'no-reader';
  if (env.issuer === 'unreachable') return 'issuer-unreachable';
  return null;
}

/** Who the session is about, carried from phase to phase (the PIN tries only matter before sign-in). */
export function holderOf(phase: ActivePhase): { holderName: string; triesLeft: number | null } {
  if (phase.kind === 'pin' || phase.kind === 'issuer-unreachable') {
    return { holderName: phase.holderName, triesLeft: phase.triesLeft };
  }
  if (
    phase.kind === 'user-code' ||
    phase.kind === 'confirm-device' ||
    phase.kind === 'enrollment' ||
    phase.kind === 'done'
  ) {
    return { holderName: phase.holderName, triesLeft: null };
  }
  return { holderName: '', triesLeft: null };
}

// Step 1: the card. Insertion starts a session (unless a finished card is still in), the read either refuses
// the card or asks for its PIN, and the demo virtual card is offered only when no card is in.
import type { CardReadOutcome, SessionConfig, SessionId, SessionState, Transition } from '../state.ts';
import type { ActivePhase } from '../state.ts';
import { refuse, restartIdle, to, unchanged } from '../transition.ts';

export function cardInserted(state: SessionState, sessionId: SessionId, config: SessionConfig): Transition {
  if (state.phase.kind !== 'welcome' || state.phase.cardInReader !== null) return unchanged(state);
  return to(
    state,
    { kind: 'reading-card', sessionId },
    { type: 'read-card', sessionId },
    restartIdle(config),
  );
}

export function useVirtualCard(state: SessionState): Transition {
  if (!state.env.virtualCardAvailable) return refuse(state, 'virtual-card-unavailable');
  if (state.phase.kind !== 'welcome' || state.phase.cardInReader !== null) return refuse(state, 'not-now');
  return { state, effects: [{ type: 'insert-virtual-card' }] };
}

export function cardRead(state: SessionState, phase: ActivePhase, outcome: CardReadOutcome): Transition {
  if (phase.kind !== 'reading-card') return unchanged(state);
  if (outcome.kind === 'refused') {
    return to(state, { kind: 'card-refused', sessionId: phase.sessionId, reason: outcome.reason });
  }
  return to(state, {
    kind: 'pin',
    sessionId: phase.sessionId,
    holderName: outcome.holderName,
    triesLeft: outcome.triesLeft,
    lastAttempt: 'none',
    step: 'entering',
  });
}

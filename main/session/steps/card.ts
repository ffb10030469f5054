// Step 1: the card. Insertion starts a session — at once, or as soon as the kiosk works again when it is out of
// order (so a card inserted before the kiosk was ready is read without being taken out). A card from a finished
// session stays remembered ("Take your card out") until it is removed; the demo card can always start afresh.
import type { ActivePhase, CardReadOutcome, SessionConfig, SessionId, SessionState, Transition } from '../state.ts';
import { endSession, outOfOrderReason, refuse, restartIdle, sessionOf, to, unchanged } from '../transition.ts';

export function cardInserted(state: SessionState, sessionId: SessionId, config: SessionConfig): Transition {
  const phase = state.phase;
  // A second card while a session runs is not this session's business.
  if (phase.kind !== 'welcome') return unchanged(state);
  if (outOfOrderReason(state.env) !== null) return to(state, { ...phase, cardWaiting: sessionId });
  return startReading(state, sessionId, config);
}

export function cardRemoved(state: SessionState, sessionId: SessionId): Transition {
  const phase = state.phase;
  if (phase.kind === 'welcome') {
    if (phase.cardInReader !== sessionId && phase.cardWaiting !== sessionId) return unchanged(state);
    return to(state, {
      kind: 'welcome',
      cardInReader: phase.cardInReader === sessionId ? null : phase.cardInReader,
      cardWaiting: phase.cardWaiting === sessionId ? null : phase.cardWaiting,
    });
  }
  // Only the card this session is about matters; a second reader's card does not end anything.
  return sessionOf(phase) === sessionId ? endSession(state, false) : unchanged(state);
}

/** The surroundings changed: a card that waited for the kiosk to work is read now that it does. */
export function environmentChanged(state: SessionState, config: SessionConfig): Transition {
  const phase = state.phase;
  if (phase.kind !== 'welcome' || phase.cardWaiting === null || outOfOrderReason(state.env) !== null) {
    return unchanged(state);
  }
  return startReading(state, phase.cardWaiting, config);
}

function startReading(state: SessionState, sessionId: SessionId, config: SessionConfig): Transition {
  return to(state, { kind: 'reading-card', sessionId }, { type: 'read-card', sessionId }, restartIdle(config));
}

/** Allowed on welcome and on "Take your card out" (the demo card is then taken out and put in afresh). */
export function useVirtualCard(state: SessionState): Transition {
  if (!state.env.virtualCardAvailable) return refuse(state, 'virtual-card-unavailable');
  if (state.phase.kind !== 'welcome' || outOfOrderReason(state.env) !== null) return refuse(state, 'not-now');
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

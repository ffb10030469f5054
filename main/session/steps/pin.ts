// Step 2: the PIN. VERIFY on the card, then PKI-AUTH with the issuer (the card signs its challenge).
import { assertNever } from '../../../contracts/kiosk-api.ts';
import type { ActivePhase, PinOutcome, SessionConfig, SessionState, SignInOutcome, Transition } from '../state.ts';
import { holderOf, refuse, restartIdle, to, unchanged } from '../transition.ts';
import { pendingIssuerCall, unreachable } from './issuer-unreachable.ts';

export function pinSubmitted(
  state: SessionState,
  phase: ActivePhase,
  confirmLastTry: boolean,
  config: SessionConfig,
): Transition {
  if (phase.kind !== 'pin' || phase.step !== 'entering') return refuse(state, 'not-now');
  if (phase.triesLeft === 1 && !confirmLastTry) return refuse(state, 'last-try-not-confirmed');
  return to(
    state,
    { ...phase, step: 'verifying' },
    { type: 'verify-pin', sessionId: phase.sessionId },
    restartIdle(config),
  );
}

export function pinVerified(state: SessionState, phase: ActivePhase, outcome: PinOutcome): Transition {
  if (phase.kind !== 'pin' || phase.step !== 'verifying') return unchanged(state);
  switch (outcome.kind) {
    case 'ok':
      return to(state, { ...phase, step: 'signing-in' }, { type: 'sign-in', sessionId: phase.sessionId });
    case 'wrong':
      return to(state, { ...phase, step: 'entering', lastAttempt: 'wrong', triesLeft: outcome.triesLeft });
    case 'blocked':
      return to(state, { kind: 'pin-blocked', sessionId: phase.sessionId });
    case 'card-error':
      return to(state, { kind: 'card-refused', sessionId: phase.sessionId, reason: 'unreadable' });
    default:
      return assertNever(outcome, 'PIN outcome');
  }
}

/**
 * The issuer ended the sign-in (too many wrong phone codes, or its time ran out) or the card forgot its verified
 * PIN: ask for the PIN again, saying why (`signed-out`) when the person would otherwise wonder.
 */
export function backToPin(
  state: SessionState,
  phase: ActivePhase,
  why: 'none' | 'signed-out' = 'signed-out',
): Transition {
  const { holderName, triesLeft } = holderOf(phase);
  return to(state, {
    kind: 'pin',
    sessionId: phase.sessionId,
    holderName,
    triesLeft,
    lastAttempt: why,
    step: 'entering',
  });
}

export function signedIn(
  state: SessionState,
  phase: ActivePhase,
  outcome: SignInOutcome,
  config: SessionConfig,
): Transition {
  if (pendingIssuerCall(phase)?.op !== 'sign-in') return unchanged(state);
  switch (outcome.kind) {
    case 'ok':
      return to(
        state,
        {
          kind: 'user-code',
          sessionId: phase.sessionId,
          holderName: holderOf(phase).holderName,
          issuerSession: outcome.issuerSession,
          error: 'none',
          checking: null,
        },
        restartIdle(config),
      );
    case 'refused':
      return to(state, { kind: 'card-refused', sessionId: phase.sessionId, reason: outcome.reason });
    case 'pin-needed':
      return backToPin(state, phase, 'none');
    case 'unreachable':
      return unreachable(state, phase, { op: 'sign-in' }, config, outcome.busy);
    default:
      return assertNever(outcome, 'sign-in outcome');
  }
}

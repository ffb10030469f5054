// Step 3: the phone's code (RFC 8628 user code). The issuer approves it for this card's sign-in and answers
// with the enrollment (QR + one-time password).
import { assertNever } from '../../../contracts/kiosk-api.ts';
import { normalizeUserCode } from '../../../contracts/user-code.ts';
import type { ActivePhase, SessionConfig, SessionState, Transition, UserCodeOutcome } from '../state.ts';
import { holderOf, refuse, restartIdle, to, unchanged } from '../transition.ts';
import { showEnrollment } from './enrollment.ts';
import { pendingIssuerCall, unreachable } from './issuer-unreachable.ts';
import { backToPin } from './pin.ts';

export function userCodeSubmitted(state: SessionState, phase: ActivePhase, code: string, config: SessionConfig): Transition {
  if (phase.kind !== 'user-code' || phase.checking !== null) return refuse(state, 'not-now');
  const userCode = normalizeUserCode(code);
  if (userCode === null) return to(state, { ...phase, error: 'bad-format' }, restartIdle(config));
  return to(
    state,
    { ...phase, checking: userCode, error: 'none' },
    { type: 'approve-user-code', sessionId: phase.sessionId, issuerSession: phase.issuerSession, userCode },
    restartIdle(config),
  );
}

export function userCodeChecked(
  state: SessionState,
  phase: ActivePhase,
  outcome: UserCodeOutcome,
  config: SessionConfig,
): Transition {
  const pending = pendingIssuerCall(phase);
  if (pending === null || pending.op !== 'approve-user-code') return unchanged(state);
  switch (outcome.kind) {
    case 'ok':
      return showEnrollment(state, phase, pending.issuerSession, outcome.enrollment);
    case 'rejected':
      return to(state, {
        kind: 'user-code',
        sessionId: phase.sessionId,
        holderName: holderOf(phase).holderName,
        issuerSession: pending.issuerSession,
        error: outcome.error,
        checking: null,
      });
    case 'session-expired':
      return backToPin(state, phase);
    case 'card-refused':
      return to(state, { kind: 'card-refused', sessionId: phase.sessionId, reason: outcome.reason });
    case 'unreachable':
      return unreachable(state, phase, pending, config);
    default:
      return assertNever(outcome, 'user code outcome');
  }
}

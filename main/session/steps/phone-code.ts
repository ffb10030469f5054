// Step 3: the phone's code (RFC 8628 user code), then number matching (RFC 8628 §5.4). The issuer shows the
// phone behind the code (what it reported, a two-digit number the phone shows too); the person confirms it is
// their phone and the numbers match, and only then is the code approved (→ the enrollment, QR + one-time
// password). "Not my phone" turns the phone away and asks for a code again.
import { assertNever } from '../../../contracts/kiosk-api.ts';
import { normalizeUserCode } from '../../../contracts/user-code.ts';
import type {
  ActivePhase,
  DeviceDeniedOutcome,
  DeviceShownOutcome,
  IssuerSession,
  SessionConfig,
  SessionState,
  Transition,
  UserCodeOutcome,
} from '../state.ts';
import type { UserCodeError } from '../../../contracts/kiosk-api.ts';
import { holderOf, refuse, restartIdle, to, unchanged } from '../transition.ts';
import { showEnrollment } from './enrollment.ts';
import { pendingIssuerCall, unreachable } from './issuer-unreachable.ts';
import { backToPin } from './pin.ts';

export function userCodeSubmitted(
  state: SessionState,
  phase: ActivePhase,
  code: string,
  config: SessionConfig,
): Transition {
  if (phase.kind !== 'user-code' || phase.checking !== null) return refuse(state, 'not-now');
  const userCode = normalizeUserCode(code);
  if (userCode === null) return to(state, { ...phase, error: 'bad-format' }, restartIdle(config));
  return to(
    state,
    { ...phase, checking: userCode, error: 'none' },
    { type: 'show-device', sessionId: phase.sessionId, issuerSession: phase.issuerSession, userCode },
    restartIdle(config),
  );
}

/** Back to the code screen, saying why. */
function askForCode(
  state: SessionState,
  phase: ActivePhase,
  issuerSession: IssuerSession,
  error: UserCodeError,
): Transition {
  return to(state, {
    kind: 'user-code',
    sessionId: phase.sessionId,
    holderName: holderOf(phase).holderName,
    issuerSession,
    error,
    checking: null,
  });
}

export function deviceShown(
  state: SessionState,
  phase: ActivePhase,
  outcome: DeviceShownOutcome,
  config: SessionConfig,
): Transition {
  const pending = pendingIssuerCall(phase);
  if (pending === null || pending.op !== 'show-device') return unchanged(state);
  switch (outcome.kind) {
    case 'ok':
      return to(
        state,
        {
          kind: 'confirm-device',
          sessionId: phase.sessionId,
          holderName: holderOf(phase).holderName,
          issuerSession: pending.issuerSession,
          userCode: pending.userCode,
          shown: outcome.shown,
          answering: null,
        },
        restartIdle(config),
      );
    case 'rejected':
      return askForCode(state, phase, pending.issuerSession, outcome.error);
    case 'session-expired':
      return backToPin(state, phase);
    case 'unreachable':
      return unreachable(state, phase, pending, config, outcome.busy);
    default:
      return assertNever(outcome, 'device shown outcome');
  }
}

/** "This is my phone, the numbers match." */
export function deviceConfirmed(state: SessionState, phase: ActivePhase, config: SessionConfig): Transition {
  if (phase.kind !== 'confirm-device' || phase.answering !== null) return refuse(state, 'not-now');
  return to(
    state,
    { ...phase, answering: 'approving' },
    {
      type: 'approve-user-code',
      sessionId: phase.sessionId,
      issuerSession: phase.issuerSession,
      userCode: phase.userCode,
      matchNumber: phase.shown.matchNumber,
    },
    restartIdle(config),
  );
}

/** "Not my phone." */
export function deviceRefused(state: SessionState, phase: ActivePhase, config: SessionConfig): Transition {
  if (phase.kind !== 'confirm-device' || phase.answering !== null) return refuse(state, 'not-now');
  return to(
    state,
    { ...phase, answering: 'denying' },
    {
      type: 'deny-device',
      sessionId: phase.sessionId,
      issuerSession: phase.issuerSession,
      pairingId: phase.shown.pairingId,
    },
    restartIdle(config),
  );
}

export function deviceDenied(
  state: SessionState,
  phase: ActivePhase,
  outcome: DeviceDeniedOutcome,
  config: SessionConfig,
): Transition {
  const pending = pendingIssuerCall(phase);
  if (pending === null || pending.op !== 'deny-device') return unchanged(state);
  switch (outcome.kind) {
    case 'ok':
    case 'gone':
      return askForCode(state, phase, pending.issuerSession, 'not-my-phone');
    case 'session-expired':
      return backToPin(state, phase);
    case 'unreachable':
      return unreachable(state, phase, pending, config, outcome.busy);
    default:
      return assertNever(outcome, 'device denied outcome');
  }
}

export function userCodeChecked(
  state: SessionState,
  phase: ActivePhase,
  outcome: UserCodeOutcome,
  config: SessionConfig,
): Transition {
  const pending = pendingIssuerCall(phase);
  if (pending === null || pending.op !== 'approve-device') return unchanged(state);
  switch (outcome.kind) {
    case 'ok':
      return showEnrollment(state, phase, pending.issuerSession, outcome.enrollment);
    case 'rejected':
      return askForCode(state, phase, pending.issuerSession, outcome.error);
    case 'session-expired':
      return backToPin(state, phase);
    case 'card-refused':
      return to(state, { kind: 'card-refused', sessionId: phase.sessionId, reason: outcome.reason });
    case 'unreachable':
      return unreachable(state, phase, pending, config, outcome.busy);
    default:
      return assertNever(outcome, 'user code outcome');
  }
}

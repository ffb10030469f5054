// When the issuer cannot be reached: count down, retry the same call by itself a few times, then give up
// (only cancel or card removal help). Also: which issuer call a phase is waiting for.
import { assertNever } from '../../../contracts/kiosk-api.ts';
import type {
  ActivePhase,
  Enrollment,
  IssuerSession,
  RetryOperation,
  SessionConfig,
  SessionEffect,
  SessionId,
  SessionState,
  Transition,
} from '../state.ts';
import { holderOf, to, unchanged } from '../transition.ts';

export function unreachable(
  state: SessionState,
  phase: ActivePhase,
  retry: RetryOperation,
  config: SessionConfig,
  busy: boolean,
): Transition {
  const attempts = phase.kind === 'issuer-unreachable' ? phase.attempts : 0;
  const delay = config.retryDelaysSeconds[attempts];
  const { holderName, triesLeft } = holderOf(phase);
  const base = {
    kind: 'issuer-unreachable',
    sessionId: phase.sessionId,
    holderName,
    triesLeft,
    retry,
    busy,
    attempts,
  } as const;
  if (delay === undefined) return to(state, { ...base, countdown: { kind: 'gave-up' } });
  return to(
    state,
    { ...base, countdown: { kind: 'counting', secondsLeft: delay } },
    { type: 'start-timer', timer: 'retry-tick', seconds: 1 },
  );
}

/** The issuer call a phase is waiting for (first try or automatic retry), with what is needed to make it again. */
export function pendingIssuerCall(phase: ActivePhase): RetryOperation | null {
  if (phase.kind === 'issuer-unreachable') return phase.countdown.kind === 'retrying' ? phase.retry : null;
  if (phase.kind === 'pin' && phase.step === 'signing-in') return { op: 'sign-in' };
  if (phase.kind === 'user-code' && phase.checking !== null) {
    return { op: 'show-device', issuerSession: phase.issuerSession, userCode: phase.checking };
  }
  if (phase.kind === 'confirm-device' && phase.answering !== null) {
    const { issuerSession, userCode, shown } = phase;
    return { op: phase.answering === 'approving' ? 'approve-device' : 'deny-device', issuerSession, userCode, shown };
  }
  if (phase.kind === 'enrollment' && phase.renewing) {
    return { op: 'renew', issuerSession: phase.issuerSession, enrollment: phase.enrollment };
  }
  return null;
}

export function retryTick(state: SessionState, phase: ActivePhase): Transition {
  if (phase.kind !== 'issuer-unreachable' || phase.countdown.kind !== 'counting') return unchanged(state);
  if (phase.countdown.secondsLeft > 1) {
    return to(
      state,
      { ...phase, countdown: { kind: 'counting', secondsLeft: phase.countdown.secondsLeft - 1 } },
      { type: 'start-timer', timer: 'retry-tick', seconds: 1 },
    );
  }
  const retrying: ActivePhase = { ...phase, attempts: phase.attempts + 1, countdown: { kind: 'retrying' } };
  return to(state, retrying, retryEffect(phase.sessionId, phase.retry));
}

function retryEffect(sessionId: SessionId, retry: RetryOperation): SessionEffect {
  switch (retry.op) {
    case 'sign-in':
      return { type: 'sign-in', sessionId };
    case 'show-device':
      return { type: 'show-device', sessionId, issuerSession: retry.issuerSession, userCode: retry.userCode };
    case 'approve-device':
      return {
        type: 'approve-user-code',
        sessionId,
        issuerSession: retry.issuerSession,
        userCode: retry.userCode,
        matchNumber: retry.shown.matchNumber,
      };
    case 'deny-device':
      return { type: 'deny-device', sessionId, issuerSession: retry.issuerSession, pairingId: retry.shown.pairingId };
    case 'renew':
      return renewEffect(sessionId, retry.issuerSession, retry.enrollment);
    default:
      return assertNever(retry, 'retry operation');
  }
}

export function renewEffect(sessionId: SessionId, issuerSession: IssuerSession, enrollment: Enrollment): SessionEffect {
  return { type: 'renew-enrollment', sessionId, issuerSession, enrollmentId: enrollment.enrollmentId };
}

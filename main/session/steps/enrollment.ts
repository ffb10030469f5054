// Step 4: the enrollment. The QR + one-time password show while the kiosk waits (long poll) for the phone
// to finish; a new pair can be asked for; "You're all set" stays a few seconds.
import { assertNever } from '../../../contracts/kiosk-api.ts';
import type { EnrollmentStopped, KioskAgentCheck } from '../../../contracts/kiosk-api.ts';
import type {
  ActivePhase,
  CompletionOutcome,
  Enrollment,
  IssuerSession,
  RenewOutcome,
  SessionConfig,
  SessionEffect,
  SessionId,
  SessionState,
  Transition,
} from '../state.ts';
import { endSession, holderOf, refuse, restartIdle, to, unchanged } from '../transition.ts';
import { pendingIssuerCall, renewEffect, unreachable } from './issuer-unreachable.ts';
import { backToPin } from './pin.ts';

export function showEnrollment(
  state: SessionState,
  phase: ActivePhase,
  issuerSession: IssuerSession,
  enrollment: Enrollment,
): Transition {
  return to(
    state,
    {
      kind: 'enrollment',
      sessionId: phase.sessionId,
      holderName: holderOf(phase).holderName,
      issuerSession,
      enrollment,
      renewing: false,
      phoneSeen: false,
      agentCheck: null,
      stopped: null,
    },
    { type: 'cancel-timer', timer: 'completion-retry' },
    waitEffect(phase.sessionId, issuerSession, enrollment),
    // The person is busy with their phone: the QR/OTP's own lifetime governs this screen, not the idle timer.
    { type: 'cancel-timer', timer: 'idle' },
  );
}

export function renewRequested(state: SessionState, phase: ActivePhase, config: SessionConfig): Transition {
  if (phase.kind !== 'enrollment' || phase.renewing) return refuse(state, 'not-now');
  return to(
    state,
    { ...phase, renewing: true },
    renewEffect(phase.sessionId, phase.issuerSession, phase.enrollment),
    restartIdle(config),
  );
}

export function renewed(
  state: SessionState,
  phase: ActivePhase,
  outcome: RenewOutcome,
  config: SessionConfig,
): Transition {
  const pending = pendingIssuerCall(phase);
  if (pending === null || pending.op !== 'renew') return unchanged(state);
  switch (outcome.kind) {
    case 'ok':
      return showEnrollment(state, phase, pending.issuerSession, outcome.enrollment);
    case 'session-expired':
      return backToPin(state, phase);
    case 'unreachable':
      return unreachable(state, phase, pending, config, outcome.busy);
    default:
      return assertNever(outcome, 'renew outcome');
  }
}

export function completion(
  state: SessionState,
  phase: ActivePhase,
  enrollmentId: string,
  outcome: CompletionOutcome,
  config: SessionConfig,
): Transition {
  // A renewal replaces the enrollment id; news about the old one no longer matters.
  if (phase.kind !== 'enrollment' || phase.enrollment.enrollmentId !== enrollmentId) return unchanged(state);
  switch (outcome.kind) {
    case 'completed':
      return to(
        state,
        {
          kind: 'done',
          sessionId: phase.sessionId,
          holderName: phase.holderName,
          credentialExpiresAt: outcome.credentialExpiresAt,
        },
        { type: 'cancel-timer', timer: 'idle' },
        { type: 'start-timer', timer: 'done', seconds: config.doneSeconds },
      );
    case 'pending': {
      const next = sameProgress(phase, outcome)
        ? phase
        : { ...phase, phoneSeen: outcome.phoneSeen, agentCheck: outcome.agentCheck };
      return to(state, next, waitEffect(phase.sessionId, phase.issuerSession, phase.enrollment));
    }
    case 'dead': {
      // Show it as stopped now, so the renderer offers "new code"; keep the earlier time if it already passed.
      // From here on the idle timer governs again: nobody may be at the kiosk any more.
      const expiresAt = outcome.at < phase.enrollment.expiresAt ? outcome.at : phase.enrollment.expiresAt;
      return to(
        state,
        { ...phase, stopped: whyStopped(phase, outcome.why), enrollment: { ...phase.enrollment, expiresAt } },
        restartIdle(config),
      );
    }
    case 'unreachable':
      return {
        state,
        effects: [{ type: 'start-timer', timer: 'completion-retry', seconds: config.completionRetrySeconds }],
      };
    default:
      return assertNever(outcome, 'completion outcome');
  }
}

export function doneTimer(state: SessionState, phase: ActivePhase): Transition {
  return phase.kind === 'done' ? endSession(state, true) : unchanged(state);
}

export function completionRetryTimer(state: SessionState, phase: ActivePhase): Transition {
  if (phase.kind !== 'enrollment') return unchanged(state);
  return { state, effects: [waitEffect(phase.sessionId, phase.issuerSession, phase.enrollment)] };
}

type EnrollmentPhase = Extract<ActivePhase, { kind: 'enrollment' }>;

function sameProgress(
  phase: EnrollmentPhase,
  outcome: { phoneSeen: boolean; agentCheck: KioskAgentCheck | null },
): boolean {
  return (
    outcome.phoneSeen === phase.phoneSeen &&
    outcome.agentCheck?.keyFingerprint === phase.agentCheck?.keyFingerprint &&
    outcome.agentCheck?.affirmed === phase.agentCheck?.affirmed
  );
}

/** Time ran out while the phone's key waited for an agent who never affirmed it: the person is told that, not "expired". */
function whyStopped(phase: EnrollmentPhase, why: 'expired' | 'too-many-tries'): EnrollmentStopped {
  const waitingForAgent = phase.agentCheck !== null && !phase.agentCheck.affirmed;
  return why === 'expired' && waitingForAgent ? 'not-affirmed' : why;
}

function waitEffect(sessionId: SessionId, issuerSession: IssuerSession, enrollment: Enrollment): SessionEffect {
  return { type: 'wait-for-completion', sessionId, issuerSession, enrollmentId: enrollment.enrollmentId };
}

// The kiosk session as a pure function: (state, event) → next state + effects. No I/O, no clock, no PIN.
// Rules that hold in every state (and are table-tested): the current card's removal returns to welcome and
// ends the session; a renderer call that does not fit the state is refused with the state unchanged; results
// of work for an older card insertion are ignored.
import { assertNever } from '../../contracts/kiosk-api.ts';
import type { KioskErrorCode } from '../../contracts/kiosk-api.ts';
import { normalizeUserCode } from '../../contracts/issuer-api.ts';
import type {
  ActivePhase,
  CompletionOutcome,
  Enrollment,
  IssuerSession,
  Phase,
  PinOutcome,
  RenewOutcome,
  RetryOperation,
  SessionConfig,
  SessionEffect,
  SessionEvent,
  SessionId,
  SessionState,
  SignInOutcome,
  TimerName,
  Transition,
  UserCodeOutcome,
} from './state.ts';

export const DEFAULT_SESSION_CONFIG: SessionConfig = {
  idleSeconds: 60,
  warningSeconds: 10,
  doneSeconds: 10,
  retryDelaysSeconds: [3, 5, 10, 20, 30],
  completionRetrySeconds: 3,
};

export const INITIAL_STATE: SessionState = {
  env: { readers: 'none', issuer: 'reachable', virtualCardAvailable: false },
  phase: { kind: 'welcome', cardInReader: null },
};

const to = (state: SessionState, phase: Phase, ...effects: SessionEffect[]): Transition => ({
  state: { ...state, phase },
  effects,
});
const unchanged = (state: SessionState): Transition => ({ state, effects: [] });
const refuse = (state: SessionState, refusal: KioskErrorCode): Transition => ({ state, effects: [], refusal });

const restartIdle = (config: SessionConfig): SessionEffect => ({
  type: 'start-timer',
  timer: 'idle',
  seconds: config.idleSeconds,
});

/** The session id of the card a phase is about, or null on welcome without a card. */
export function sessionOf(phase: Phase): SessionId | null {
  switch (phase.kind) {
    case 'welcome':
      return phase.cardInReader;
    case 'still-there':
      return phase.paused.sessionId;
    case 'reading-card':
    case 'card-refused':
    case 'pin':
    case 'pin-blocked':
    case 'user-code':
    case 'enrollment':
    case 'done':
    case 'issuer-unreachable':
      return phase.sessionId;
    default:
      return assertNever(phase, 'phase');
  }
}

/** Ends the running session: back to welcome, the card (if still in) remembered so it is not read again. */
function endSession(state: SessionState, cardStillIn: boolean): Transition {
  const sessionId = sessionOf(state.phase);
  if (state.phase.kind === 'welcome') {
    return to(state, { kind: 'welcome', cardInReader: cardStillIn ? state.phase.cardInReader : null });
  }
  if (sessionId === null) return unchanged(state);
  return to(
    state,
    { kind: 'welcome', cardInReader: cardStillIn ? sessionId : null },
    { type: 'end-session', sessionId },
  );
}

export function reduce(state: SessionState, event: SessionEvent, config: SessionConfig): Transition {
  switch (event.type) {
    case 'readers-changed':
      return unchanged({ ...state, env: { ...state.env, readers: event.readers } });
    case 'issuer-status':
      return unchanged({ ...state, env: { ...state.env, issuer: event.issuer } });
    case 'virtual-card-availability':
      return unchanged({ ...state, env: { ...state.env, virtualCardAvailable: event.available } });
    case 'card-inserted':
      return cardInserted(state, event.sessionId, config);
    case 'card-removed':
      // Only the card this session is about matters; a second reader's card does not end anything.
      return sessionOf(state.phase) === event.sessionId ? endSession(state, false) : unchanged(state);
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
    case 'user-code-checked':
    case 'renewed':
    case 'completion':
      if (sessionOf(state.phase) !== event.sessionId) return unchanged(state);
      return withIssuerReachability(reduceInside(state, event, config), event);
    case 'pin-submitted':
    case 'user-code-submitted':
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

function cardInserted(state: SessionState, sessionId: SessionId, config: SessionConfig): Transition {
  if (state.phase.kind !== 'welcome' || state.phase.cardInReader !== null) return unchanged(state);
  return to(
    state,
    { kind: 'reading-card', sessionId },
    { type: 'read-card', sessionId },
    restartIdle(config),
  );
}

function useVirtualCard(state: SessionState): Transition {
  if (!state.env.virtualCardAvailable) return refuse(state, 'virtual-card-unavailable');
  if (state.phase.kind !== 'welcome' || state.phase.cardInReader !== null) return refuse(state, 'not-now');
  return { state, effects: [{ type: 'insert-virtual-card' }] };
}

function personIsHere(state: SessionState, what: 'still-here' | 'activity', config: SessionConfig): Transition {
  const phase = state.phase;
  if (phase.kind === 'still-there') {
    return to(state, phase.paused, { type: 'cancel-timer', timer: 'warning-tick' }, restartIdle(config));
  }
  if (what === 'still-here') return refuse(state, 'not-now');
  if (phase.kind === 'welcome') return unchanged(state);
  return { state, effects: [restartIdle(config)] };
}

function idleTimeout(state: SessionState, config: SessionConfig): Transition {
  const phase = state.phase;
  if (phase.kind === 'welcome' || phase.kind === 'still-there') return unchanged(state);
  return to(
    state,
    { kind: 'still-there', secondsLeft: config.warningSeconds, paused: phase },
    { type: 'start-timer', timer: 'warning-tick', seconds: 1 },
  );
}

function warningTick(state: SessionState): Transition {
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
 * Events about the running session. While "Still there?" shows, they still advance the paused phase (the
 * issuer may answer meanwhile) but the warning stays — except when the flow finishes or the session ends.
 */
/** Events about the running session (surroundings, presence and "I'm here" are handled in `reduce`). */
type InsideEvent = Extract<
  SessionEvent,
  {
    type:
      | 'card-read' | 'pin-verified' | 'signed-in' | 'user-code-checked' | 'renewed' | 'completion' | 'timer-fired'
      | 'pin-submitted' | 'user-code-submitted' | 'renew-requested';
  }
>;

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

function isRendererCall(event: InsideEvent): boolean {
  return event.type === 'pin-submitted' || event.type === 'user-code-submitted' || event.type === 'renew-requested';
}

function reduceActive(state: SessionState, phase: ActivePhase, event: InsideEvent, config: SessionConfig): Transition {
  switch (event.type) {
    case 'card-read':
      if (phase.kind !== 'reading-card') return unchanged(state);
      if (event.outcome.kind === 'refused') {
        return to(state, { kind: 'card-refused', sessionId: phase.sessionId, reason: event.outcome.reason });
      }
      return to(state, {
        kind: 'pin',
        sessionId: phase.sessionId,
        holderName: event.outcome.holderName,
        triesLeft: event.outcome.triesLeft,
        lastAttempt: 'none',
        step: 'entering',
      });
    case 'pin-submitted':
      return pinSubmitted(state, phase, event.confirmLastTry, config);
    case 'pin-verified':
      return pinVerified(state, phase, event.outcome);
    case 'signed-in':
      return signedIn(state, phase, event.outcome, config);
    case 'user-code-submitted':
      return userCodeSubmitted(state, phase, event.code, config);
    case 'user-code-checked':
      return userCodeChecked(state, phase, event.outcome, config);
    case 'renew-requested':
      if (phase.kind !== 'enrollment' || phase.renewing) return refuse(state, 'not-now');
      return to(
        state,
        { ...phase, renewing: true },
        renewEffect(phase.sessionId, phase.issuerSession, phase.enrollment),
        restartIdle(config),
      );
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

function pinSubmitted(state: SessionState, phase: ActivePhase, confirmLastTry: boolean, config: SessionConfig) {
  if (phase.kind !== 'pin' || phase.step !== 'entering') return refuse(state, 'not-now');
  if (phase.triesLeft === 1 && !confirmLastTry) return refuse(state, 'last-try-not-confirmed');
  return to(
    state,
    { ...phase, step: 'verifying' },
    { type: 'verify-pin', sessionId: phase.sessionId },
    restartIdle(config),
  );
}

function pinVerified(state: SessionState, phase: ActivePhase, outcome: PinOutcome): Transition {
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

function holderOf(phase: ActivePhase): { holderName: string; triesLeft: number | null } {
  if (phase.kind === 'pin' || phase.kind === 'issuer-unreachable') {
    return { holderName: phase.holderName, triesLeft: phase.triesLeft };
  }
  if (phase.kind === 'user-code' || phase.kind === 'enrollment' || phase.kind === 'done') {
    return { holderName: phase.holderName, triesLeft: null };
  }
  return { holderName: '', triesLeft: null };
}

function unreachable(
  state: SessionState,
  phase: ActivePhase,
  retry: RetryOperation,
  config: SessionConfig,
): Transition {
  const attempts = phase.kind === 'issuer-unreachable' ? phase.attempts : 0;
  const delay = config.retryDelaysSeconds[attempts];
  const { holderName, triesLeft } = holderOf(phase);
  const base = { kind: 'issuer-unreachable', sessionId: phase.sessionId, holderName, triesLeft, retry, attempts } as const;
  if (delay === undefined) return to(state, { ...base, countdown: { kind: 'gave-up' } });
  return to(
    state,
    { ...base, countdown: { kind: 'counting', secondsLeft: delay } },
    { type: 'start-timer', timer: 'retry-tick', seconds: 1 },
  );
}

function backToPin(state: SessionState, phase: ActivePhase): Transition {
  const { holderName, triesLeft } = holderOf(phase);
  return to(state, { kind: 'pin', sessionId: phase.sessionId, holderName, triesLeft, lastAttempt: 'none', step: 'entering' });
}

function signedIn(state: SessionState, phase: ActivePhase, outcome: SignInOutcome, config: SessionConfig): Transition {
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
      return backToPin(state, phase);
    case 'unreachable':
      return unreachable(state, phase, { op: 'sign-in' }, config);
    default:
      return assertNever(outcome, 'sign-in outcome');
  }
}

function userCodeSubmitted(state: SessionState, phase: ActivePhase, code: string, config: SessionConfig) {
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

function showEnrollment(
  state: SessionState,
  phase: ActivePhase,
  issuerSession: IssuerSession,
  enrollment: Enrollment,
  config: SessionConfig,
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
    },
    { type: 'cancel-timer', timer: 'completion-retry' },
    waitEffect(phase.sessionId, issuerSession, enrollment),
    restartIdle(config),
  );
}

function userCodeChecked(state: SessionState, phase: ActivePhase, outcome: UserCodeOutcome, config: SessionConfig) {
  const pending = pendingIssuerCall(phase);
  if (pending === null || pending.op !== 'approve-user-code') return unchanged(state);
  switch (outcome.kind) {
    case 'ok':
      return showEnrollment(state, phase, pending.issuerSession, outcome.enrollment, config);
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
    case 'unreachable':
      return unreachable(state, phase, pending, config);
    default:
      return assertNever(outcome, 'user code outcome');
  }
}

function renewed(state: SessionState, phase: ActivePhase, outcome: RenewOutcome, config: SessionConfig) {
  const pending = pendingIssuerCall(phase);
  if (pending === null || pending.op !== 'renew') return unchanged(state);
  switch (outcome.kind) {
    case 'ok':
      return showEnrollment(state, phase, pending.issuerSession, outcome.enrollment, config);
    case 'session-expired':
      return backToPin(state, phase);
    case 'unreachable':
      return unreachable(state, phase, pending, config);
    default:
      return assertNever(outcome, 'renew outcome');
  }
}

/** The issuer call a phase is waiting for (first try or automatic retry), with what is needed to make it again. */
function pendingIssuerCall(phase: ActivePhase): RetryOperation | null {
  if (phase.kind === 'issuer-unreachable') return phase.countdown.kind === 'retrying' ? phase.retry : null;
  if (phase.kind === 'pin' && phase.step === 'signing-in') return { op: 'sign-in' };
  if (phase.kind === 'user-code' && phase.checking !== null) {
    return { op: 'approve-user-code', issuerSession: phase.issuerSession, userCode: phase.checking };
  }
  if (phase.kind === 'enrollment' && phase.renewing) {
    return { op: 'renew', issuerSession: phase.issuerSession, enrollment: phase.enrollment };
  }
  return null;
}

function completion(
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
        { kind: 'done', sessionId: phase.sessionId, holderName: phase.holderName },
        { type: 'cancel-timer', timer: 'idle' },
        { type: 'start-timer', timer: 'done', seconds: config.doneSeconds },
      );
    case 'pending':
      return { state, effects: [waitEffect(phase.sessionId, phase.issuerSession, phase.enrollment)] };
    case 'dead': {
      // Show it as expired now, so the renderer offers "new code"; keep the earlier time if it already passed.
      const expiresAt = outcome.at < phase.enrollment.expiresAt ? outcome.at : phase.enrollment.expiresAt;
      return to(state, { ...phase, enrollment: { ...phase.enrollment, expiresAt } });
    }
    case 'unreachable':
      return { state, effects: [{ type: 'start-timer', timer: 'completion-retry', seconds: config.completionRetrySeconds }] };
    default:
      return assertNever(outcome, 'completion outcome');
  }
}

function activeTimer(
  state: SessionState,
  phase: ActivePhase,
  timer: TimerName,
): Transition {
  switch (timer) {
    case 'done':
      return phase.kind === 'done' ? endSession(state, true) : unchanged(state);
    case 'completion-retry':
      if (phase.kind !== 'enrollment') return unchanged(state);
      return { state, effects: [waitEffect(phase.sessionId, phase.issuerSession, phase.enrollment)] };
    case 'retry-tick':
      return retryTick(state, phase);
    case 'idle':
    case 'warning-tick':
      return unchanged(state);
    default:
      return assertNever(timer, 'timer');
  }
}

function retryTick(state: SessionState, phase: ActivePhase): Transition {
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
    case 'approve-user-code':
      return { type: 'approve-user-code', sessionId, issuerSession: retry.issuerSession, userCode: retry.userCode };
    case 'renew':
      return renewEffect(sessionId, retry.issuerSession, retry.enrollment);
    default:
      return assertNever(retry, 'retry operation');
  }
}

function renewEffect(sessionId: SessionId, issuerSession: IssuerSession, enrollment: Enrollment): SessionEffect {
  return { type: 'renew-enrollment', sessionId, issuerSession, enrollmentId: enrollment.enrollmentId };
}

function waitEffect(sessionId: SessionId, issuerSession: IssuerSession, enrollment: Enrollment): SessionEffect {
  return { type: 'wait-for-completion', sessionId, issuerSession, enrollmentId: enrollment.enrollmentId };
}

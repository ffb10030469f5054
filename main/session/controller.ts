// Runs the pure session machine against the world: card reader, issuer, timers. It turns effects into work,
// one card/issuer operation at a time per card (a queue per session), and feeds outcomes back as events.
// It also implements the renderer's calls (KioskHandlers) — transports call these after validating arguments.
//
// The PIN: `submitPin` copies it into a Buffer that exists only until the VERIFY it was typed for has run (or
// was cancelled), then zero-fills it. It never enters the state, a view, an event or a log line.
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { KioskConfig, KioskError, KioskHandlers, KioskView, Result, SubmitPinOptions } from '../../contracts/kiosk-api.ts';
import type { EnrollmentCode } from '../../contracts/issuer-api.ts';
import type { CardReaderEvent, CardRemovedOutcome, KioskCardPort, KioskCardSession, VirtualCardPort } from '../card/card-port.ts';
import type { KioskIssuerPort } from '../issuer-client/issuer-port.ts';
import { completionFailure, completionOf, renewFailure, signInFailure, userCodeFailure } from './issuer-outcomes.ts';
import { INITIAL_STATE, reduce } from './reducer.ts';
import type {
  Enrollment,
  SessionConfig,
  SessionEffect,
  SessionEvent,
  SessionId,
  SessionState,
  SignInOutcome,
  TimerName,
  Transition,
} from './state.ts';
import { sameView, viewOf } from './view.ts';

export interface Scheduler {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Structured log lines: event names and non-personal fields only (never PINs, OTPs, names or tokens). */
export type KioskLog = (event: string, fields?: Readonly<Record<string, string | number | boolean>>) => void;

export interface ControllerOptions {
  readonly card: KioskCardPort;
  readonly issuer: KioskIssuerPort;
  readonly virtualCard?: VirtualCardPort | null;
  readonly session: SessionConfig;
  readonly kiosk: KioskConfig;
  /** Long-poll length when waiting for the phone (the issuer caps it at 60). */
  readonly completionWaitSeconds?: number;
  /** How often the welcome screen re-checks that the issuer answers. */
  readonly issuerCheckSeconds?: number;
  readonly now?: () => number;
  readonly scheduler?: Scheduler;
  readonly log?: KioskLog;
}

/** Work belonging to one card insertion. Dropped (and aborted) when the session ends. */
interface SessionWork {
  readonly id: SessionId;
  readonly reader: string;
  readonly abort: AbortController;
  queue: Promise<void>;
  card: KioskCardSession | null;
  certificateDer: Uint8Array | null;
  waiting: AbortController | null;
}

const defaultScheduler: Scheduler = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);

export class KioskController {
  readonly handlers: KioskHandlers;
  readonly #options: ControllerOptions;
  readonly #scheduler: Scheduler;
  readonly #now: () => number;
  readonly #log: KioskLog;
  readonly #listeners = new Set<(view: KioskView) => void>();
  readonly #timers = new Map<TimerName, unknown>();
  readonly #readerSessions = new Map<string, SessionId>();
  #state: SessionState = INITIAL_STATE;
  #view: KioskView;
  #work: SessionWork | null = null;
  #nextSessionId = 1;
  /** The PIN of the `submitPin` call being dispatched, taken by its `verify-pin` effect. */
  #pinForVerify: Buffer | null = null;
  #unsubscribeCard: (() => void) | null = null;
  #issuerCheck: unknown = null;
  #stopped = false;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#scheduler = options.scheduler ?? defaultScheduler;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? (() => undefined);
    this.#view = viewOf(this.#state, { helpUrl: options.kiosk.helpUrl });
    this.handlers = this.#makeHandlers();
  }

  get state(): SessionState {
    return this.#state;
  }

  get view(): KioskView {
    return this.#view;
  }

  start(): void {
    this.#dispatch({ type: 'virtual-card-availability', available: Boolean(this.#options.virtualCard) });
    this.#unsubscribeCard = this.#options.card.subscribe((event) => this.#onCardEvent(event));
    void this.#checkIssuer();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribeCard?.();
    if (this.#issuerCheck !== null) this.#scheduler.clearTimeout(this.#issuerCheck);
    const work = this.#work;
    if (work !== null) this.#endSession(work.id);
    for (const timer of [...this.#timers.keys()]) this.#cancelTimer(timer);
    await work?.queue;
    await this.#options.card.stop();
  }

  /** Calls `listener` with the current view (asynchronously), then on every change. */
  onView(listener: (view: KioskView) => void): () => void {
    this.#listeners.add(listener);
    queueMicrotask(() => {
      if (this.#listeners.has(listener)) listener(this.#view);
    });
    return () => this.#listeners.delete(listener);
  }

  // ── renderer calls ──────────────────────────────────────────────────────────────────────────────────────

  #makeHandlers(): KioskHandlers {
    const call = (event: SessionEvent): Promise<Result<void, KioskError>> => Promise.resolve(this.#answer(event));
    return {
      submitPin: (pin, options) => Promise.resolve(this.#submitPin(pin, options)),
      submitUserCode: (code) => call({ type: 'user-code-submitted', code }),
      renewEnrollment: () => call({ type: 'renew-requested' }),
      cancel: () => call({ type: 'cancel' }),
      stillHere: () => call({ type: 'still-here' }),
      reportActivity: () => call({ type: 'activity' }),
      useVirtualCard: () => call({ type: 'use-virtual-card' }),
      getConfig: () => Promise.resolve(ok(this.#options.kiosk)),
    };
  }

  #answer(event: SessionEvent): Result<void, KioskError> {
    const transition = this.#dispatch(event);
    return transition.refusal === undefined ? ok(undefined) : err({ code: transition.refusal });
  }

  #submitPin(pin: Uint8Array, options: SubmitPinOptions): Result<void, KioskError> {
    // Our own copy; the transport's array is wiped at once (it is a per-call copy on both transports).
    this.#pinForVerify = Buffer.from(pin);
    pin.fill(0);
    try {
      return this.#answer({ type: 'pin-submitted', confirmLastTry: options.confirmLastTry });
    } finally {
      // Not taken by a verify-pin effect (refused): wipe it now.
      this.#pinForVerify?.fill(0);
      this.#pinForVerify = null;
    }
  }

  // ── the machine ────────────────────────────────────────────────────────────────────────────────────────

  #dispatch(event: SessionEvent): Transition {
    const transition = reduce(this.#state, event, this.#options.session);
    this.#state = transition.state;
    if (transition.refusal !== undefined) this.#log('call-refused', { event: event.type, code: transition.refusal });
    this.#publish();
    for (const effect of transition.effects) this.#run(effect);
    return transition;
  }

  #publish(): void {
    const view = viewOf(this.#state, { helpUrl: this.#options.kiosk.helpUrl });
    if (sameView(view, this.#view)) return;
    this.#view = view;
    for (const listener of this.#listeners) listener(view);
  }

  #run(effect: SessionEffect): void {
    switch (effect.type) {
      case 'start-timer':
        this.#startTimer(effect.timer, effect.seconds);
        return;
      case 'cancel-timer':
        this.#cancelTimer(effect.timer);
        return;
      case 'end-session':
        this.#endSession(effect.sessionId);
        return;
      case 'insert-virtual-card':
        this.#insertVirtualCard();
        return;
      case 'read-card':
        this.#enqueue(effect.sessionId, (work) => this.#readCard(work));
        return;
      case 'verify-pin': {
        const pin = this.#pinForVerify;
        this.#pinForVerify = null;
        if (pin === null) return; // cannot happen: verify-pin only follows pin-submitted
        this.#enqueue(effect.sessionId, (work) => this.#verifyPin(work, pin), () => pin.fill(0));
        return;
      }
      case 'sign-in':
        this.#enqueue(effect.sessionId, (work) => this.#signIn(work));
        return;
      case 'approve-user-code':
        this.#enqueue(effect.sessionId, async (work) => {
          const result = await this.#options.issuer.approveUserCode(effect.issuerSession.token, effect.userCode, work.abort.signal);
          const outcome = result.ok ? { kind: 'ok', enrollment: this.#enrollmentOf(result.value) } as const : userCodeFailure(result.error);
          if (!result.ok) this.#log('issuer-refused', { call: 'approve', code: result.error.code });
          this.#dispatch({ type: 'user-code-checked', sessionId: work.id, outcome });
        });
        return;
      case 'renew-enrollment':
        this.#enqueue(effect.sessionId, async (work) => {
          work.waiting?.abort();
          const result = await this.#options.issuer.refreshEnrollment(effect.issuerSession.token, effect.enrollmentId, work.abort.signal);
          const outcome = result.ok ? { kind: 'ok', enrollment: this.#enrollmentOf(result.value) } as const : renewFailure(result.error);
          if (!result.ok) this.#log('issuer-refused', { call: 'refresh', code: result.error.code });
          this.#dispatch({ type: 'renewed', sessionId: work.id, outcome });
        });
        return;
      case 'wait-for-completion':
        this.#waitForCompletion(effect);
        return;
      default: {
        const unexpected: never = effect;
        return unexpected;
      }
    }
  }

  // ── timers ─────────────────────────────────────────────────────────────────────────────────────────────

  #startTimer(timer: TimerName, seconds: number): void {
    this.#cancelTimer(timer);
    const handle = this.#scheduler.setTimeout(() => {
      this.#timers.delete(timer);
      this.#dispatch({ type: 'timer-fired', timer });
    }, seconds * 1000);
    this.#timers.set(timer, handle);
  }

  #cancelTimer(timer: TimerName): void {
    const handle = this.#timers.get(timer);
    if (handle === undefined) return;
    this.#scheduler.clearTimeout(handle);
    this.#timers.delete(timer);
  }

  // ── sessions ───────────────────────────────────────────────────────────────────────────────────────────

  #onCardEvent(event: CardReaderEvent): void {
    if (this.#stopped) return;
    switch (event.type) {
      case 'readers':
        this.#dispatch({ type: 'readers-changed', readers: event.readers });
        return;
      case 'inserted': {
        const sessionId = this.#nextSessionId++;
        this.#readerSessions.set(event.reader, sessionId);
        this.#log('card-inserted', { sessionId });
        // If the machine takes this card, its read-card effect creates the session's work record.
        this.#dispatch({ type: 'card-inserted', sessionId });
        return;
      }
      case 'removed': {
        const sessionId = this.#readerSessions.get(event.reader);
        if (sessionId === undefined) return;
        this.#readerSessions.delete(event.reader);
        this.#log('card-removed', { sessionId });
        this.#dispatch({ type: 'card-removed', sessionId });
        return;
      }
      default: {
        const unexpected: never = event;
        return unexpected;
      }
    }
  }

  /** The work record for a session, created on its first effect (read-card). */
  #workFor(sessionId: SessionId): SessionWork | null {
    if (this.#work?.id === sessionId) return this.#work;
    if (this.#work !== null) return null;
    const reader = [...this.#readerSessions].find(([, id]) => id === sessionId)?.[0];
    if (reader === undefined) return null;
    this.#work = { id: sessionId, reader, abort: new AbortController(), queue: Promise.resolve(), card: null, certificateDer: null, waiting: null };
    return this.#work;
  }

  /** Runs `task` after the session's earlier tasks; skipped (with `onSkip`) once the session has ended. */
  #enqueue(sessionId: SessionId, task: (work: SessionWork) => Promise<void>, onSkip?: () => void): void {
    const work = this.#workFor(sessionId);
    if (work === null) {
      onSkip?.();
      return;
    }
    work.queue = work.queue.then(async () => {
      if (work.abort.signal.aborted) {
        onSkip?.();
        return;
      }
      try {
        await task(work);
      } catch (error: unknown) {
        // A port broke its contract (they return outcomes, not throw). Log the kind only and end the session.
        this.#log('session-task-failed', { sessionId: work.id, error: errorName(error) });
        if (!work.abort.signal.aborted) this.#dispatch({ type: 'cancel' });
      }
    });
  }

  #endSession(sessionId: SessionId): void {
    const work = this.#work;
    if (work === null || work.id !== sessionId) return;
    this.#work = null;
    work.abort.abort();
    work.waiting?.abort();
    work.certificateDer = null;
    for (const timer of [...this.#timers.keys()]) this.#cancelTimer(timer);
    // Close after any running card command finishes (APDUs cannot be interrupted halfway).
    work.queue = work.queue.then(async () => {
      await work.card?.close();
      work.card = null;
    });
    this.#log('session-ended', { sessionId });
  }

  #insertVirtualCard(): void {
    const virtualCard = this.#options.virtualCard;
    if (!virtualCard) return;
    virtualCard.insert().then(
      () => this.#log('virtual-card-inserted'),
      (error: unknown) => this.#log('virtual-card-failed', { error: errorName(error) }),
    );
  }

  // ── card and issuer work ───────────────────────────────────────────────────────────────────────────────

  async #readCard(work: SessionWork): Promise<void> {
    const card = await this.#options.card.open(work.reader);
    if (work.abort.signal.aborted) {
      await card?.close();
      return;
    }
    work.card = card;
    if (card === null) {
      this.#dispatch({ type: 'card-read', sessionId: work.id, outcome: { kind: 'refused', reason: 'unreadable' } });
      return;
    }
    const identity = await card.readIdentity();
    if (identity.kind === 'card-removed') {
      this.#cardPulled(work);
      return;
    }
    if (identity.kind === 'refused') {
      this.#log('card-refused', { sessionId: work.id, reason: identity.reason });
      this.#dispatch({ type: 'card-read', sessionId: work.id, outcome: identity });
      return;
    }
    work.certificateDer = identity.certificateDer;
    this.#dispatch({
      type: 'card-read',
      sessionId: work.id,
      outcome: { kind: 'ok', holderName: identity.holderName, triesLeft: identity.triesLeft },
    });
  }

  async #verifyPin(work: SessionWork, pin: Buffer): Promise<void> {
    try {
      const outcome = work.card === null ? ({ kind: 'card-error' } as const) : await work.card.verifyPin(pin);
      this.#log('pin-verified', { sessionId: work.id, outcome: outcome.kind });
      if (outcome.kind === 'card-removed') this.#cardPulled(work);
      else this.#dispatch({ type: 'pin-verified', sessionId: work.id, outcome });
    } finally {
      pin.fill(0);
    }
  }

  async #signIn(work: SessionWork): Promise<void> {
    const outcome = await this.#pkiAuth(work);
    this.#log('sign-in', { sessionId: work.id, outcome: outcome.kind });
    if (outcome.kind === 'card-removed') this.#cardPulled(work);
    else this.#dispatch({ type: 'signed-in', sessionId: work.id, outcome });
  }

  /**
   * A card command found the card gone. End the session now, as the reader's removal event does: both come
   * from the same pcscd presence check, in either order, and the person must not see a "card unreadable"
   * screen in between. Whichever arrives first ends the session; the other then finds nothing to end.
   */
  #cardPulled(work: SessionWork): void {
    if (work.abort.signal.aborted) return;
    if (this.#readerSessions.get(work.reader) === work.id) this.#readerSessions.delete(work.reader);
    this.#log('card-removed', { sessionId: work.id, seenBy: 'card-command' });
    this.#dispatch({ type: 'card-removed', sessionId: work.id });
  }

  /** SP 800-116 PKI-AUTH: the issuer's challenge, signed by the card's PIV Authentication key. */
  async #pkiAuth(work: SessionWork): Promise<SignInOutcome | CardRemovedOutcome> {
    const { issuer } = this.#options;
    if (work.card === null || work.certificateDer === null) return { kind: 'refused', reason: 'unreadable' };
    const challenge = await issuer.challenge(work.abort.signal);
    if (!challenge.ok) return signInFailure(challenge.error);
    const signed = await work.card.signChallenge(challenge.value.challenge);
    if (signed.kind === 'pin-needed' || signed.kind === 'card-removed') return signed;
    if (signed.kind === 'card-error') return { kind: 'refused', reason: 'unreadable' };
    const session = await issuer.answerChallenge(
      { challengeId: challenge.value.challengeId, certificateDer: work.certificateDer, signature: signed.signature },
      work.abort.signal,
    );
    if (!session.ok) {
      this.#log('issuer-refused', { call: 'pki-auth', code: session.error.code });
      return signInFailure(session.error);
    }
    return { kind: 'ok', issuerSession: { token: session.value.sessionToken } };
  }

  #enrollmentOf(code: EnrollmentCode): Enrollment {
    return {
      enrollmentId: code.enrollmentId,
      qrPayload: code.qrPayload,
      otp: code.otp,
      expiresAt: new Date(this.#now() + code.expiresIn * 1000).toISOString(),
    };
  }

  /** The long poll runs beside the queue (it may take a minute; renewals must not wait behind it). */
  #waitForCompletion(effect: SessionEffect & { type: 'wait-for-completion' }): void {
    const work = this.#workFor(effect.sessionId);
    if (work === null || work.abort.signal.aborted) return;
    work.waiting?.abort();
    const waiting = new AbortController();
    work.waiting = waiting;
    const signal = AbortSignal.any([work.abort.signal, waiting.signal]);
    const seconds = this.#options.completionWaitSeconds ?? 25;
    this.#options.issuer.enrollmentStatus(effect.issuerSession.token, effect.enrollmentId, seconds, signal).then(
      (result) => {
        if (signal.aborted) return;
        const nowIso = new Date(this.#now()).toISOString();
        const outcome = result.ok ? completionOf(result.value.state, nowIso) : completionFailure(result.error, nowIso);
        this.#dispatch({ type: 'completion', sessionId: work.id, enrollmentId: effect.enrollmentId, outcome });
      },
      (error: unknown) => {
        this.#log('completion-wait-failed', { error: errorName(error) });
        if (!signal.aborted) {
          this.#dispatch({ type: 'completion', sessionId: work.id, enrollmentId: effect.enrollmentId, outcome: { kind: 'unreachable' } });
        }
      },
    );
  }

  async #checkIssuer(): Promise<void> {
    if (this.#stopped) return;
    const result = await this.#options.issuer.metadata().catch((error: unknown) => {
      this.#log('issuer-check-failed', { error: errorName(error) });
      return null;
    });
    if (this.#stopped) return;
    this.#dispatch({ type: 'issuer-status', issuer: result?.ok === true ? 'reachable' : 'unreachable' });
    const every = this.#options.issuerCheckSeconds ?? 30;
    this.#issuerCheck = this.#scheduler.setTimeout(() => void this.#checkIssuer(), every * 1000);
  }
}

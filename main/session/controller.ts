// Runs the pure session machine against the world. This file only wires: the card reader's events become
// session events, effects are routed to the timers (timers.ts), the per-session work queue (work-queue.ts)
// and the card/issuer work (effects.ts); issuer-health.ts keeps the welcome screen's issuer status current.
// It also implements the renderer's calls (KioskHandlers) — transports call these after validating arguments.
//
// The PIN: `submitPin` copies it into a Buffer that exists only until the VERIFY it was typed for has run (or
// was cancelled), then zero-fills it. It never enters the state, a view, an event or a log line.
import { err, ok } from '../../contracts/kiosk-api.ts';
import type {
  KioskConfig,
  KioskError,
  KioskHandlers,
  KioskView,
  Result,
  SubmitPinOptions,
} from '../../contracts/kiosk-api.ts';
import type { CardReaderEvent, KioskCardPort, VirtualCardPort } from '../card/card-port.ts';
import type { KioskIssuerPort } from '../issuer-client/issuer-port.ts';
import { SessionEffects } from './effects.ts';
import { IssuerHealth } from './issuer-health.ts';
import { errorName } from './log.ts';
import type { KioskLog } from './log.ts';
import { INITIAL_STATE, reduce } from './reducer.ts';
import type { SessionConfig, SessionEffect, SessionEvent, SessionId, SessionState, Transition } from './state.ts';
import { SessionTimers, defaultScheduler } from './timers.ts';
import type { Scheduler } from './timers.ts';
import { sameView, viewOf } from './view.ts';
import { SessionWorkQueue } from './work-queue.ts';
import type { SessionWork } from './work-queue.ts';

export type { KioskLog } from './log.ts';
export type { Scheduler } from './timers.ts';

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

export class KioskController {
  readonly handlers: KioskHandlers;
  readonly #options: ControllerOptions;
  readonly #log: KioskLog;
  readonly #listeners = new Set<(view: KioskView) => void>();
  readonly #timers: SessionTimers;
  readonly #queue: SessionWorkQueue;
  readonly #effects: SessionEffects;
  readonly #issuerHealth: IssuerHealth;
  readonly #readerSessions = new Map<string, SessionId>();
  #state: SessionState = INITIAL_STATE;
  #view: KioskView;
  #nextSessionId = 1;
  /** The PIN of the `submitPin` call being dispatched, taken by its `verify-pin` effect. */
  #pinForVerify: Buffer | null = null;
  #unsubscribeCard: (() => void) | null = null;
  #stopped = false;

  constructor(options: ControllerOptions) {
    this.#options = options;
    const scheduler = options.scheduler ?? defaultScheduler;
    this.#log = options.log ?? (() => undefined);
    this.#timers = new SessionTimers(scheduler, (timer) => this.#dispatch({ type: 'timer-fired', timer }));
    this.#queue = new SessionWorkQueue(this.#log, () => this.#dispatch({ type: 'cancel' }));
    this.#effects = new SessionEffects({
      card: options.card,
      issuer: options.issuer,
      now: options.now ?? Date.now,
      log: this.#log,
      completionWaitSeconds: options.completionWaitSeconds ?? 25,
      dispatch: (event) => this.#dispatch(event),
      cardPulled: (work) => this.#cardPulled(work),
    });
    this.#issuerHealth = new IssuerHealth({
      issuer: options.issuer,
      scheduler,
      everySeconds: options.issuerCheckSeconds ?? 30,
      // Out of order for the issuer: look again soon, so the kiosk is back as soon as the issuer is.
      unreachableEverySeconds: Math.min(options.issuerCheckSeconds ?? 30, 5),
      log: this.#log,
      report: (issuer) => this.#dispatch({ type: 'issuer-status', issuer }),
    });
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
    this.#issuerHealth.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribeCard?.();
    this.#issuerHealth.stop();
    const work = this.#queue.current;
    if (work !== null) this.#endSession(work.id);
    this.#timers.cancelAll();
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
      confirmDevice: () => call({ type: 'device-confirmed' }),
      denyDevice: () => call({ type: 'device-refused' }),
      renewEnrollment: () => call({ type: 'renew-requested' }),
      cancel: () => call({ type: 'cancel' }),
      stillHere: () => call({ type: 'still-here' }),
      reportActivity: () => call({ type: 'activity' }),
      useVirtualCard: () => call({ type: 'use-virtual-card' }),
      getConfig: () => Promise.resolve(ok<KioskConfig>(this.#options.kiosk)),
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

  #workFor(sessionId: SessionId): SessionWork | null {
    return this.#queue.workFor(sessionId, (id) => [...this.#readerSessions].find(([, s]) => s === id)?.[0]);
  }

  #run(effect: SessionEffect): void {
    switch (effect.type) {
      case 'start-timer':
        this.#timers.start(effect.timer, effect.seconds);
        return;
      case 'cancel-timer':
        this.#timers.cancel(effect.timer);
        return;
      case 'end-session':
        this.#endSession(effect.sessionId);
        return;
      case 'insert-virtual-card':
        this.#insertVirtualCard();
        return;
      case 'read-card':
        this.#queue.enqueue(this.#workFor(effect.sessionId), (work) => this.#effects.readCard(work));
        return;
      case 'verify-pin': {
        const pin = this.#pinForVerify;
        this.#pinForVerify = null;
        if (pin === null) return; // cannot happen: verify-pin only follows pin-submitted
        this.#queue.enqueue(
          this.#workFor(effect.sessionId),
          (work) => this.#effects.verifyPin(work, pin),
          () => pin.fill(0),
        );
        return;
      }
      case 'sign-in':
        this.#queue.enqueue(this.#workFor(effect.sessionId), (work) => this.#effects.signIn(work));
        return;
      case 'show-device':
        this.#queue.enqueue(this.#workFor(effect.sessionId), (work) => this.#effects.showDevice(work, effect));
        return;
      case 'approve-user-code':
        this.#queue.enqueue(this.#workFor(effect.sessionId), (work) => this.#effects.approveUserCode(work, effect));
        return;
      case 'deny-device':
        this.#queue.enqueue(this.#workFor(effect.sessionId), (work) => this.#effects.denyDevice(work, effect));
        return;
      case 'renew-enrollment':
        this.#queue.enqueue(this.#workFor(effect.sessionId), (work) => this.#effects.renewEnrollment(work, effect));
        return;
      case 'wait-for-completion': {
        const work = this.#workFor(effect.sessionId);
        if (work !== null) this.#effects.waitForCompletion(work, effect);
        return;
      }
      default: {
        const unexpected: never = effect;
        return unexpected;
      }
    }
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

  #endSession(sessionId: SessionId): void {
    if (this.#queue.end(sessionId) === null) return;
    this.#timers.cancelAll();
    this.#log('session-ended', { sessionId });
  }

  /** Puts the demo card in; when it is still in from a finished session, takes it out first (a new session). */
  #insertVirtualCard(): void {
    const virtualCard = this.#options.virtualCard;
    if (!virtualCard) return;
    const takenOut = virtualCard.inserted ? virtualCard.remove() : Promise.resolve();
    takenOut
      .then(() => virtualCard.insert())
      .then(
        () => this.#log('virtual-card-inserted'),
        (error: unknown) => this.#log('virtual-card-failed', { error: errorName(error) }),
      );
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
}

// The card and issuer work behind the machine's effects. Each function does one operation for one session and
// reports its outcome as an event; none of them decides what happens next (the reducer does).
import type { EnrollmentCode } from '../../contracts/issuer-api.ts';
import type { CardRemovedOutcome, KioskCardPort } from '../card/card-port.ts';
import type { KioskIssuerPort } from '../issuer-client/issuer-port.ts';
import {
  completionFailure,
  completionOf,
  deviceDeniedFailure,
  deviceShownFailure,
  renewFailure,
  signInFailure,
  userCodeFailure,
} from './issuer-outcomes.ts';
import { errorName } from './log.ts';
import type { KioskLog } from './log.ts';
import type { Enrollment, SessionEffect, SessionEvent, SignInOutcome } from './state.ts';
import type { SessionWork } from './work-queue.ts';

export interface EffectContext {
  readonly card: KioskCardPort;
  readonly issuer: KioskIssuerPort;
  readonly now: () => number;
  readonly log: KioskLog;
  /** Long-poll length when waiting for the phone (the issuer caps it at 60). */
  readonly completionWaitSeconds: number;
  readonly dispatch: (event: SessionEvent) => void;
  /** A card command found the card gone (see KioskController.#cardPulled). */
  readonly cardPulled: (work: SessionWork) => void;
}

export class SessionEffects {
  readonly #c: EffectContext;

  constructor(context: EffectContext) {
    this.#c = context;
  }

  async readCard(work: SessionWork): Promise<void> {
    const card = await this.#c.card.open(work.reader);
    if (work.abort.signal.aborted) {
      await card?.close();
      return;
    }
    work.card = card;
    if (card === null) {
      this.#c.dispatch({ type: 'card-read', sessionId: work.id, outcome: { kind: 'refused', reason: 'unreadable' } });
      return;
    }
    const identity = await card.readIdentity();
    if (identity.kind === 'card-removed') {
      this.#c.cardPulled(work);
      return;
    }
    if (identity.kind === 'refused') {
      this.#c.log('card-refused', { sessionId: work.id, reason: identity.reason });
      this.#c.dispatch({ type: 'card-read', sessionId: work.id, outcome: identity });
      return;
    }
    work.certificateDer = identity.certificateDer;
    this.#c.dispatch({
      type: 'card-read',
      sessionId: work.id,
      outcome: { kind: 'ok', holderName: identity.holderName, triesLeft: identity.triesLeft },
    });
  }

  /** Owns `pin`: zero-filled when VERIFY has run, whatever happened. */
  async verifyPin(work: SessionWork, pin: Buffer): Promise<void> {
    try {
      const outcome = work.card === null ? ({ kind: 'card-error' } as const) : await work.card.verifyPin(pin);
      this.#c.log('pin-verified', { sessionId: work.id, outcome: outcome.kind });
      if (outcome.kind === 'card-removed') this.#c.cardPulled(work);
      else this.#c.dispatch({ type: 'pin-verified', sessionId: work.id, outcome });
    } finally {
      pin.fill(0);
    }
  }

  async signIn(work: SessionWork): Promise<void> {
    const outcome = await this.#pkiAuth(work);
    this.#c.log('sign-in', { sessionId: work.id, outcome: outcome.kind });
    if (outcome.kind === 'card-removed') this.#c.cardPulled(work);
    else this.#c.dispatch({ type: 'signed-in', sessionId: work.id, outcome });
  }

  /** SP 800-116 PKI-AUTH: the issuer's challenge, signed by the card's PIV Authentication key. */
  async #pkiAuth(work: SessionWork): Promise<SignInOutcome | CardRemovedOutcome> {
    const { issuer } = this.#c;
    if (work.card === null || work.certificateDer === null) return { kind: 'refused', reason: 'unreadable' };
    const challenge = await issuer.challenge(work.abort.signal);
    if (!challenge.ok) return signInFailure(challenge.error);
    const signed = await work.card.signChallenge(challenge.value.challenge);
    if (signed.kind === 'pin-needed' || signed.kind === 'card-removed') return signed;
    if (signed.kind === 'card-error') return { kind: 'refused', reason: 'unreadable' };
    const session = await issuer.answerChallenge(
      {
        challengeId: challenge.value.challengeId,
        kioskNonce: signed.kioskNonce,
        certificateDer: work.certificateDer,
        signature: signed.signature,
      },
      work.abort.signal,
    );
    if (!session.ok) {
      this.#c.log('issuer-refused', { call: 'pki-auth', code: session.error.code });
      return signInFailure(session.error);
    }
    return { kind: 'ok', issuerSession: { token: session.value.sessionToken } };
  }

  /** Number matching: the phone behind the typed code, to show before anything is approved. */
  async showDevice(work: SessionWork, effect: SessionEffect & { type: 'show-device' }): Promise<void> {
    const result = await this.#c.issuer.showDevicePairing(
      effect.issuerSession.token,
      effect.userCode,
      work.abort.signal,
    );
    const outcome = result.ok ? ({ kind: 'ok', shown: result.value } as const) : deviceShownFailure(result.error);
    if (!result.ok) this.#c.log('issuer-refused', { call: 'device-pairing', code: result.error.code });
    this.#c.dispatch({ type: 'device-shown', sessionId: work.id, outcome });
  }

  async denyDevice(work: SessionWork, effect: SessionEffect & { type: 'deny-device' }): Promise<void> {
    const result = await this.#c.issuer.denyDevicePairing(
      effect.issuerSession.token,
      effect.pairingId,
      work.abort.signal,
    );
    const outcome = result.ok ? ({ kind: 'ok' } as const) : deviceDeniedFailure(result.error);
    this.#c.log('device-denied', { outcome: result.ok ? 'denied' : result.error.code });
    this.#c.dispatch({ type: 'device-denied', sessionId: work.id, outcome });
  }

  async approveUserCode(work: SessionWork, effect: SessionEffect & { type: 'approve-user-code' }): Promise<void> {
    const { issuerSession, userCode, matchNumber } = effect;
    const result = await this.#c.issuer.approveUserCode(issuerSession.token, userCode, matchNumber, work.abort.signal);
    const outcome = result.ok
      ? ({ kind: 'ok', enrollment: this.#enrollmentOf(result.value) } as const)
      : userCodeFailure(result.error);
    if (!result.ok) this.#c.log('issuer-refused', { call: 'approve', code: result.error.code });
    this.#c.dispatch({ type: 'user-code-checked', sessionId: work.id, outcome });
  }

  async renewEnrollment(work: SessionWork, effect: SessionEffect & { type: 'renew-enrollment' }): Promise<void> {
    work.waiting?.abort();
    const result = await this.#c.issuer.refreshEnrollment(
      effect.issuerSession.token,
      effect.enrollmentId,
      work.abort.signal,
    );
    const outcome = result.ok
      ? ({ kind: 'ok', enrollment: this.#enrollmentOf(result.value) } as const)
      : renewFailure(result.error);
    if (!result.ok) this.#c.log('issuer-refused', { call: 'refresh', code: result.error.code });
    this.#c.dispatch({ type: 'renewed', sessionId: work.id, outcome });
  }

  /** The long poll runs beside the queue (it may take a minute; renewals must not wait behind it). */
  waitForCompletion(work: SessionWork, effect: SessionEffect & { type: 'wait-for-completion' }): void {
    if (work.abort.signal.aborted) return;
    work.waiting?.abort();
    const waiting = new AbortController();
    work.waiting = waiting;
    const signal = AbortSignal.any([work.abort.signal, waiting.signal]);
    const report = (outcome: SessionEvent & { type: 'completion' }): void => {
      if (!signal.aborted) this.#c.dispatch(outcome);
    };
    const base = { type: 'completion', sessionId: work.id, enrollmentId: effect.enrollmentId } as const;
    this.#c.issuer
      .enrollmentStatus(effect.issuerSession.token, effect.enrollmentId, this.#c.completionWaitSeconds, signal)
      .then(
        (result) => {
          const nowIso = new Date(this.#c.now()).toISOString();
          report({
            ...base,
            outcome: result.ok ? completionOf(result.value, nowIso) : completionFailure(result.error, nowIso),
          });
        },
        (error: unknown) => {
          this.#c.log('completion-wait-failed', { error: errorName(error) });
          report({ ...base, outcome: { kind: 'unreachable', busy: false } });
        },
      );
  }

  #enrollmentOf(code: EnrollmentCode): Enrollment {
    return {
      enrollmentId: code.enrollmentId,
      qrPayload: code.qrPayload,
      otp: code.otp,
      expiresAt: new Date(this.#c.now() + code.expiresIn * 1000).toISOString(),
    };
  }
}

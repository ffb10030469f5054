import { describe, expect, it } from 'vitest';
import type { KioskView } from '../../../contracts/kiosk-api.ts';
import type { DevicePairing, EnrollmentCode, EnrollmentStatus } from '../../../contracts/issuer-api.ts';
import type {
  CardIdentityOutcome,
  CardReaderEvent,
  CardRemovedOutcome,
  KioskCardPort,
  KioskCardSession,
  VirtualCardPort,
} from '../../../main/card/card-port.ts';
import type { IssuerCall, KioskIssuerPort } from '../../../main/issuer-client/issuer-port.ts';
import { KioskController } from '../../../main/session/controller.ts';
import type { Scheduler } from '../../../main/session/controller.ts';
import { DEFAULT_SESSION_CONFIG } from '../../../main/session/reducer.ts';
import type { PinOutcome } from '../../../main/session/state.ts';

const RIGHT_PIN = '123456';
const OTP = '48151623';
const MATCH_NUMBER = '37';
const PHONE = { platform: 'Android 15', model: 'Pixel 9', appName: 'Derived Credentials', appVersion: '2.4.1' };

/** A scheduler the test advances by hand. */
class ManualClock implements Scheduler {
  now = Date.parse('2030-01-01T00:00:00Z');
  #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.now + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
      await settle();
    }
    this.now = end;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Lets every queued promise and immediate run (the fakes answer within a few ticks). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 30; i += 1) await tick();
};

class FakeCard implements KioskCardSession {
  triesLeft = 3;
  pinsSeen: Uint8Array[] = [];
  busy = 0;
  maxBusy = 0;
  closed = false;
  verifyGate: Promise<void> = Promise.resolve();
  /** Set to make the next commands find the card gone, as the real card layer reports a mid-command pull. */
  pulled = false;
  async readIdentity(): Promise<CardIdentityOutcome> {
    if (this.pulled) return this.#track(() => Promise.resolve({ kind: 'card-removed' } as const));
    return this.#track(() =>
      Promise.resolve({
        kind: 'ok',
        holderName: 'Ada Lovelace',
        triesLeft: this.triesLeft,
        certificateDer: new Uint8Array([0x30, 0x00]),
      } as const),
    );
  }
  async verifyPin(pin: Uint8Array): Promise<PinOutcome | CardRemovedOutcome> {
    this.pinsSeen.push(pin); // keep the reference: the test checks it was zero-filled afterwards
    const typed = Buffer.from(pin).toString('ascii');
    return this.#track(async () => {
      await this.verifyGate;
      if (this.pulled) return { kind: 'card-removed' };
      if (typed === RIGHT_PIN) return { kind: 'ok' };
      this.triesLeft -= 1;
      return this.triesLeft === 0 ? { kind: 'blocked' } : { kind: 'wrong', triesLeft: this.triesLeft };
    });
  }
  async signChallenge() {
    return this.#track(() =>
      Promise.resolve({ kind: 'ok', signature: new Uint8Array([1, 2, 3]), kioskNonce: new Uint8Array(32) } as const),
    );
  }
  close() {
    this.closed = true;
    return Promise.resolve();
  }
  async #track<T>(work: () => Promise<T>): Promise<T> {
    this.busy += 1;
    this.maxBusy = Math.max(this.maxBusy, this.busy);
    try {
      await tick();
      return await work();
    } finally {
      this.busy -= 1;
    }
  }
}

class FakeReader implements KioskCardPort {
  listener: ((event: CardReaderEvent) => void) | null = null;
  card = new FakeCard();
  /** A card already in the reader when the kiosk starts (reported right after subscribing, as pcsc does). */
  cardAtStart = false;
  subscribe(listener: (event: CardReaderEvent) => void) {
    this.listener = listener;
    if (this.cardAtStart) listener({ type: 'inserted', reader: 'Virtual PIV 0' });
    listener({ type: 'readers', readers: 'ready' });
    return () => {
      this.listener = null;
    };
  }
  open() {
    return Promise.resolve(this.card);
  }
  async stop() {}
  insert() {
    this.listener?.({ type: 'inserted', reader: 'Virtual PIV 0' });
  }
  remove() {
    this.listener?.({ type: 'removed', reader: 'Virtual PIV 0' });
  }
}

class FakeIssuer implements KioskIssuerPort {
  reachable = true;
  status: EnrollmentStatus['state'] = 'awaiting-phone';
  /** Supervised issuance: what the status says about the agent's check of the phone's key. */
  agentCheck: EnrollmentStatus['agentCheck'] = undefined;
  calls: string[] = [];
  #answer<T>(name: string, value: T): IssuerCall<T> {
    this.calls.push(name);
    return Promise.resolve(
      this.reachable
        ? { ok: true, value }
        : { ok: false, error: { code: 'unreachable', detail: 'connection refused' } },
    );
  }
  metadata() {
    return this.#answer('metadata', {
      displayName: 'Demo',
      helpUrl: null,
      issuerBaseUrl: 'https://127.0.0.1',
      caCertificatePem: '',
      otpLength: 8,
    });
  }
  challenge() {
    return this.#answer('challenge', { challengeId: 'c'.repeat(22), challenge: new Uint8Array(32) });
  }
  answerChallenge() {
    return this.#answer('answer', { sessionToken: 's'.repeat(22), commonName: 'Ada Lovelace' });
  }
  showDevicePairing(_token: string, userCode: string) {
    if (userCode !== 'WDJBMJHT') {
      this.calls.push('show');
      return Promise.resolve({ ok: false, error: { code: 'user-code-unknown', detail: 'no such code' } } as const);
    }
    return this.#answer<DevicePairing>('show', { pairingId: 'p'.repeat(22), device: PHONE, matchNumber: MATCH_NUMBER });
  }
  denyDevicePairing() {
    return this.#answer('deny', null);
  }
  approveUserCode(_token: string, _userCode: string, matchNumber: string) {
    if (matchNumber !== MATCH_NUMBER) {
      this.calls.push('approve');
      return Promise.resolve({
        ok: false,
        error: { code: 'pairing-number-mismatch', detail: 'wrong number' },
      } as const);
    }
    return this.#answer<EnrollmentCode>('approve', {
      enrollmentId: 'e'.repeat(22),
      qrPayload: `https://127.0.0.1/e/${'e'.repeat(22)}`,
      otp: OTP,
      expiresIn: 300,
    });
  }
  refreshEnrollment() {
    return this.#answer<EnrollmentCode>('refresh', {
      enrollmentId: 'f'.repeat(22),
      qrPayload: 'https://127.0.0.1/e/f',
      otp: '99990000',
      expiresIn: 300,
    });
  }
  enrollmentStatus(_t: string, enrollmentId: string, _w: number, signal?: AbortSignal): IssuerCall<EnrollmentStatus> {
    this.calls.push('status');
    // Answers when the test flips `status` or `agentCheck`, like a long poll.
    const checkAtStart = JSON.stringify(this.agentCheck);
    return new Promise((resolve) => {
      const poll = () => {
        if (signal?.aborted) return;
        const agentCheck = this.agentCheck;
        if (this.status !== 'awaiting-phone' || JSON.stringify(agentCheck) !== checkAtStart)
          resolve({
            ok: true,
            value: { enrollmentId, state: this.status, ...(agentCheck === undefined ? {} : { agentCheck }) },
          });
        else setTimeout(poll, 1);
      };
      poll();
    });
  }
}

/** The demo card, in the FakeReader's reader. */
class FakeVirtualCard implements VirtualCardPort {
  inserted = false;
  constructor(private readonly reader: FakeReader) {}
  insert() {
    this.inserted = true;
    this.reader.insert();
    return Promise.resolve();
  }
  remove() {
    this.inserted = false;
    this.reader.remove();
    return Promise.resolve();
  }
}

function setup(options: { cardAtStart?: boolean; issuerReachable?: boolean } = {}) {
  const clock = new ManualClock();
  const reader = new FakeReader();
  reader.cardAtStart = options.cardAtStart ?? false;
  const issuer = new FakeIssuer();
  issuer.reachable = options.issuerReachable ?? true;
  const virtualCard = new FakeVirtualCard(reader);
  const logs: string[] = [];
  const controller = new KioskController({
    card: reader,
    issuer,
    virtualCard,
    session: { ...DEFAULT_SESSION_CONFIG, idleSeconds: 60, warningSeconds: 10 },
    kiosk: {
      languages: ['en', 'nl'],
      defaultLanguage: 'en',
      helpUrl: 'https://help.example',
      displayName: 'Demo',
      idleSeconds: 60,
    },
    scheduler: clock,
    now: () => clock.now,
    log: (event, fields) => logs.push(JSON.stringify({ event, ...fields })),
  });
  const views: KioskView[] = [];
  controller.onView((view) => views.push(view));
  controller.start();
  return { clock, reader, issuer, controller, views, logs, card: reader.card, virtualCard };
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('KioskController', () => {
  it('runs the whole flow; the PIN reaches the card and is wiped; nothing secret in logs', async () => {
    const { reader, issuer, controller, views, logs, card } = setup();
    await settle();
    expect(controller.view).toEqual({ screen: 'welcome', virtualCardOffered: true });
    reader.insert();
    await settle();
    expect(controller.view).toMatchObject({ screen: 'pin', holderName: 'Ada Lovelace', triesLeft: 3 });

    const pin = ascii(RIGHT_PIN);
    expect(await controller.handlers.submitPin(pin, { confirmLastTry: false })).toEqual({ ok: true, value: undefined });
    expect([...pin]).toEqual([0, 0, 0, 0, 0, 0]); // the transport's copy is wiped at once
    await settle();
    expect(card.pinsSeen).toHaveLength(1);
    expect([...card.pinsSeen[0]!].every((b) => b === 0)).toBe(true); // main's copy wiped after VERIFY
    expect(controller.view).toMatchObject({ screen: 'user-code', holderName: 'Ada Lovelace' });
    expect(issuer.calls).toEqual(['metadata', 'challenge', 'answer']);

    expect(await controller.handlers.submitUserCode('wdjb-mjht')).toMatchObject({ ok: true });
    await settle();
    expect(controller.view).toEqual({
      screen: 'confirm-device',
      holderName: 'Ada Lovelace',
      device: PHONE,
      matchNumber: MATCH_NUMBER,
      busy: false,
    });
    expect(await controller.handlers.confirmDevice()).toMatchObject({ ok: true });
    await settle();
    expect(controller.view).toMatchObject({ screen: 'enrollment', otp: OTP, expiresAt: '2030-01-01T00:05:00.000Z' });

    issuer.status = 'completed';
    await new Promise((resolve) => setTimeout(resolve, 10));
    await settle();
    expect(controller.view).toEqual({ screen: 'done', holderName: 'Ada Lovelace', credentialExpiresAt: null });
    expect(card.maxBusy).toBe(1); // card work ran one command at a time

    reader.remove();
    expect(controller.view.screen).toBe('welcome');
    await settle();
    expect(card.closed).toBe(true);
    const screens = views.map((v) => v.screen).filter((screen, i, all) => screen !== all[i - 1]);
    expect(screens).toEqual([
      'welcome',
      'reading-card',
      'pin',
      'user-code',
      'confirm-device',
      'enrollment',
      'done',
      'welcome',
    ]);
    const logText = logs.join('\n');
    expect(logText).not.toContain(RIGHT_PIN);
    expect(logText).not.toContain(OTP);
    expect(logText).not.toContain('Ada');
    expect(logText).not.toContain('s'.repeat(22));
    await controller.stop();
  });

  it("supervised issuance: the phone's key fingerprint shows while an agent checks it, then that it was affirmed, then done", async () => {
    const { reader, issuer, controller } = setup();
    await settle();
    reader.insert();
    await settle();
    await controller.handlers.submitPin(ascii(RIGHT_PIN), { confirmLastTry: false });
    await settle();
    await controller.handlers.submitUserCode('WDJBMJHT');
    await settle();
    await controller.handlers.confirmDevice();
    await settle();
    expect(controller.view).toMatchObject({ screen: 'enrollment', agentCheck: null });
    const keyFingerprint = 'A1B2-C3D4-E5F6-0718';
    issuer.agentCheck = { keyFingerprint, affirmed: false };
    await new Promise((resolve) => setTimeout(resolve, 10));
    await settle();
    expect(controller.view).toMatchObject({ screen: 'enrollment', agentCheck: { keyFingerprint, affirmed: false } });
    issuer.agentCheck = { keyFingerprint, affirmed: true };
    await new Promise((resolve) => setTimeout(resolve, 10));
    await settle();
    expect(controller.view).toMatchObject({ screen: 'enrollment', agentCheck: { keyFingerprint, affirmed: true } });
    issuer.status = 'completed';
    await new Promise((resolve) => setTimeout(resolve, 10));
    await settle();
    expect(controller.view.screen).toBe('done');
    await controller.stop();
  });

  it('card pulled while the PIN is being verified → welcome at once; the late answer changes nothing', async () => {
    const { reader, controller, card } = setup();
    reader.insert();
    await settle();
    let release!: () => void;
    card.verifyGate = new Promise((resolve) => {
      release = resolve;
    });
    await controller.handlers.submitPin(ascii(RIGHT_PIN), { confirmLastTry: false });
    await settle();
    expect(controller.view).toMatchObject({ screen: 'pin', busy: true });
    reader.remove();
    expect(controller.view).toMatchObject({ screen: 'welcome' }); // synchronously, no waiting for the card
    release();
    await settle();
    expect(controller.view.screen).toBe('welcome');
    expect(card.closed).toBe(true);
    expect([...card.pinsSeen[0]!].every((b) => b === 0)).toBe(true);
    await controller.stop();
  });

  it('card found gone by the read itself → welcome at once, never "card unreadable"; the reader\'s late event changes nothing', async () => {
    const { reader, controller, views, card } = setup();
    await settle();
    card.pulled = true;
    reader.insert();
    await settle();
    expect(controller.view).toMatchObject({ screen: 'welcome' });
    expect(views.map((v) => v.screen)).not.toContain('card-refused');
    expect(card.closed).toBe(true);
    const published = views.length;
    reader.remove(); // pcscd's removal event, arriving after the failed command noticed
    await settle();
    expect(views).toHaveLength(published);
    // The next card is a fresh session, not mistaken for the one still "in the reader".
    card.pulled = false;
    reader.insert();
    await settle();
    expect(controller.view).toMatchObject({ screen: 'pin', holderName: 'Ada Lovelace' });
    await controller.stop();
  });

  it('card found gone during VERIFY → welcome, not the "card unreadable" screen; the PIN is wiped', async () => {
    const { reader, controller, views, card } = setup();
    reader.insert();
    await settle();
    card.pulled = true;
    await controller.handlers.submitPin(ascii(RIGHT_PIN), { confirmLastTry: false });
    await settle();
    expect(controller.view).toMatchObject({ screen: 'welcome' });
    expect(views.map((v) => v.screen)).not.toContain('card-refused');
    expect([...card.pinsSeen[0]!].every((b) => b === 0)).toBe(true);
    await controller.stop();
  });

  it("card pulled while the issuer checks the phone's code → welcome at once; the request is aborted and its late answer ignored", async () => {
    const { reader, issuer, controller } = setup();
    reader.insert();
    await settle();
    await controller.handlers.submitPin(ascii(RIGHT_PIN), { confirmLastTry: false });
    await settle();
    let answer!: () => void;
    let requestSignal: AbortSignal | undefined;
    const show = issuer.showDevicePairing.bind(issuer);
    issuer.showDevicePairing = (token: string, userCode: string, signal?: AbortSignal): IssuerCall<DevicePairing> => {
      requestSignal = signal;
      return new Promise((resolve) => {
        answer = () => resolve(show(token, userCode));
      });
    };
    await controller.handlers.submitUserCode('WDJB-MJHT');
    await settle();
    expect(controller.view).toMatchObject({ screen: 'user-code', busy: true });
    reader.remove();
    expect(controller.view).toMatchObject({ screen: 'welcome' }); // synchronously: no waiting for the issuer
    expect(requestSignal?.aborted).toBe(true);
    answer();
    await settle();
    expect(controller.view).toMatchObject({ screen: 'welcome' });
    expect(JSON.stringify(controller.state)).not.toContain('Ada');
    await controller.stop();
  });

  it('refuses a PIN that does not fit the screen and wipes it', async () => {
    const { controller } = setup();
    const pin = ascii(RIGHT_PIN);
    expect(await controller.handlers.submitPin(pin, { confirmLastTry: false })).toEqual({
      ok: false,
      error: { code: 'not-now' },
    });
    expect([...pin].every((b) => b === 0)).toBe(true);
    await controller.stop();
  });

  it('wrong, wrong, then last try needs confirmation; blocked after the third', async () => {
    const { reader, controller } = setup();
    reader.insert();
    await settle();
    for (const expected of [2, 1]) {
      await controller.handlers.submitPin(ascii('000000'), { confirmLastTry: false });
      await settle();
      expect(controller.view).toMatchObject({ screen: 'pin', lastAttempt: 'wrong', triesLeft: expected });
    }
    expect(controller.view).toMatchObject({ lastTryWarning: true });
    expect(await controller.handlers.submitPin(ascii('000000'), { confirmLastTry: false })).toMatchObject({
      ok: false,
      error: { code: 'last-try-not-confirmed' },
    });
    await controller.handlers.submitPin(ascii('000000'), { confirmLastTry: true });
    await settle();
    expect(controller.view).toEqual({ screen: 'pin-blocked', helpUrl: 'https://help.example' });
    await controller.stop();
  });

  it('issuer down during sign-in → "issuer unreachable" with a countdown; comes back → continues', async () => {
    const { reader, issuer, controller, clock } = setup();
    reader.insert();
    await settle();
    issuer.reachable = false;
    await controller.handlers.submitPin(ascii(RIGHT_PIN), { confirmLastTry: false });
    await settle();
    expect(controller.view).toEqual({ screen: 'issuer-unreachable', retryInSeconds: 3, busy: false });
    issuer.reachable = true;
    await clock.advance(3000);
    await settle();
    expect(controller.view).toMatchObject({ screen: 'user-code' });
    await controller.stop();
  });

  it('idle → "Still there?" counting down → welcome, with nothing of the person left', async () => {
    const { reader, controller, clock, card } = setup();
    reader.insert();
    await settle();
    await clock.advance(60_000);
    expect(controller.view).toEqual({ screen: 'still-there', secondsLeft: 10 });
    await clock.advance(5_000);
    expect(controller.view).toEqual({ screen: 'still-there', secondsLeft: 5 });
    await clock.advance(5_000);
    expect(controller.view).toEqual({ screen: 'take-card-out', virtualCardOffered: true });
    expect(JSON.stringify(controller.state)).not.toContain('Ada');
    await settle();
    expect(card.closed).toBe(true);
    await controller.stop();
  });

  it('a wrong user code is explained and the person can try again', async () => {
    const { reader, controller } = setup();
    reader.insert();
    await settle();
    await controller.handlers.submitPin(ascii(RIGHT_PIN), { confirmLastTry: false });
    await settle();
    await controller.handlers.submitUserCode('BCDF-GHJK');
    await settle();
    expect(controller.view).toMatchObject({ screen: 'user-code', error: 'unknown-code', busy: false });
    await controller.stop();
  });

  it('"not my phone" turns the phone away at the issuer and asks for a code again, saying why', async () => {
    const { reader, issuer, controller } = setup();
    reader.insert();
    await settle();
    await controller.handlers.submitPin(ascii(RIGHT_PIN), { confirmLastTry: false });
    await settle();
    await controller.handlers.submitUserCode('WDJB-MJHT');
    await settle();
    expect(await controller.handlers.denyDevice()).toMatchObject({ ok: true });
    await settle();
    expect(issuer.calls.slice(-2)).toEqual(['show', 'deny']);
    expect(controller.view).toMatchObject({ screen: 'user-code', error: 'not-my-phone', busy: false });
    expect(await controller.handlers.confirmDevice()).toMatchObject({ ok: false, error: { code: 'not-now' } });
    await controller.stop();
  });

  it('a card already in the reader when the kiosk starts is read at once', async () => {
    const { controller } = setup({ cardAtStart: true });
    await settle();
    expect(controller.view).toMatchObject({ screen: 'pin', holderName: 'Ada Lovelace' });
    await controller.stop();
  });

  it('the demo card offered again after "You\'re all set" starts a new session (no restart of the kiosk)', async () => {
    const { controller, clock, issuer } = setup();
    await settle();
    await controller.handlers.useVirtualCard();
    await settle();
    await controller.handlers.submitPin(ascii(RIGHT_PIN), { confirmLastTry: false });
    await settle();
    await controller.handlers.submitUserCode('WDJB-MJHT');
    await settle();
    await controller.handlers.confirmDevice();
    await settle();
    issuer.status = 'completed';
    await new Promise((resolve) => setTimeout(resolve, 10));
    await settle();
    expect(controller.view.screen).toBe('done');
    await clock.advance(10_000);
    expect(controller.view).toEqual({ screen: 'take-card-out', virtualCardOffered: true });
    expect(await controller.handlers.useVirtualCard()).toMatchObject({ ok: true });
    await settle();
    expect(controller.view).toMatchObject({ screen: 'pin', holderName: 'Ada Lovelace' });
    await controller.stop();
  });

  it('issuer unreachable at start → out of order, no card read; back within 5 s of the issuer answering, and the waiting card is read', async () => {
    const { controller, clock, issuer, reader } = setup({ issuerReachable: false });
    await settle();
    expect(controller.view).toEqual({ screen: 'out-of-order', reason: 'issuer-unreachable' });
    reader.insert();
    await settle();
    expect(controller.view).toEqual({ screen: 'out-of-order', reason: 'issuer-unreachable' });
    issuer.reachable = true;
    await clock.advance(5_000);
    await settle();
    expect(controller.view).toMatchObject({ screen: 'pin', holderName: 'Ada Lovelace' });
    await controller.stop();
  });

  it('getConfig answers the kiosk settings', async () => {
    const { controller } = setup();
    expect(await controller.handlers.getConfig()).toMatchObject({
      ok: true,
      value: { languages: ['en', 'nl'], idleSeconds: 60 },
    });
    await controller.stop();
  });
});

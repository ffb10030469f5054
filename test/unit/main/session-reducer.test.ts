import { describe, expect, it } from 'vitest';
import { DEFAULT_SESSION_CONFIG, INITIAL_STATE, reduce, sessionOf } from '../../../main/session/reducer.ts';
import type {
  ActivePhase,
  Enrollment,
  Phase,
  SessionConfig,
  ShownDevice,
  SessionEffect,
  SessionEvent,
  SessionState,
  Transition,
} from '../../../main/session/state.ts';
import { viewOf } from '../../../main/session/view.ts';
import { deviceDeniedFailure, deviceShownFailure, userCodeFailure } from '../../../main/session/issuer-outcomes.ts';

const config: SessionConfig = { ...DEFAULT_SESSION_CONFIG, retryDelaysSeconds: [2, 3] };
const S = 7; // the session id of the card in the reader
const issuerSession = { token: 'issuer-session-token' };
const enrollment: Enrollment = {
  enrollmentId: 'enrollment-id-0123456789',
  qrPayload: 'https://issuer.example/e/enrollment-id-0123456789',
  otp: '73914206',
  expiresAt: '2030-01-01T00:10:00.000Z',
};
const shown: ShownDevice = {
  pairingId: 'pairing-id-0123456789ab',
  device: { platform: 'Android 15', model: 'Pixel 9', appName: 'Derived Credentials', appVersion: '2.4.1' },
  matchNumber: '37',
};
const confirming = {
  kind: 'confirm-device',
  sessionId: S,
  holderName: 'Ada',
  issuerSession,
  userCode: 'WDJBMJHT',
  shown,
} as const;
const env = { readers: 'ready', issuer: 'reachable', virtualCardAvailable: true } as const;
const at = (phase: Phase): SessionState => ({ env, phase });

/** One sample of every phase a card session can be in. */
const activePhases: Record<string, ActivePhase> = {
  'reading-card': { kind: 'reading-card', sessionId: S },
  'card-refused': { kind: 'card-refused', sessionId: S, reason: 'not-piv' },
  'pin (entering)': {
    kind: 'pin',
    sessionId: S,
    holderName: 'Ada',
    triesLeft: 3,
    lastAttempt: 'none',
    step: 'entering',
  },
  'pin (verifying)': {
    kind: 'pin',
    sessionId: S,
    holderName: 'Ada',
    triesLeft: 3,
    lastAttempt: 'none',
    step: 'verifying',
  },
  'pin (signing-in)': {
    kind: 'pin',
    sessionId: S,
    holderName: 'Ada',
    triesLeft: 3,
    lastAttempt: 'none',
    step: 'signing-in',
  },
  'pin-blocked': { kind: 'pin-blocked', sessionId: S },
  'user-code (entering)': {
    kind: 'user-code',
    sessionId: S,
    holderName: 'Ada',
    issuerSession,
    error: 'none',
    checking: null,
  },
  'user-code (checking)': {
    kind: 'user-code',
    sessionId: S,
    holderName: 'Ada',
    issuerSession,
    error: 'none',
    checking: 'WDJBMJHT',
  },
  'confirm-device': { ...confirming, answering: null },
  'confirm-device (approving)': { ...confirming, answering: 'approving' },
  'confirm-device (denying)': { ...confirming, answering: 'denying' },
  enrollment: {
    kind: 'enrollment',
    sessionId: S,
    holderName: 'Ada',
    issuerSession,
    enrollment,
    renewing: false,
    phoneSeen: false,
    agentCheck: null,
    stopped: null,
  },
  'enrollment (renewing)': {
    kind: 'enrollment',
    sessionId: S,
    holderName: 'Ada',
    issuerSession,
    enrollment,
    renewing: true,
    phoneSeen: false,
    agentCheck: null,
    stopped: 'expired',
  },
  'enrollment (stopped)': {
    kind: 'enrollment',
    sessionId: S,
    holderName: 'Ada',
    issuerSession,
    enrollment,
    renewing: false,
    phoneSeen: true,
    agentCheck: null,
    stopped: 'too-many-tries',
  },
  done: { kind: 'done', sessionId: S, holderName: 'Ada', credentialExpiresAt: null },
  'issuer-unreachable': {
    kind: 'issuer-unreachable',
    sessionId: S,
    holderName: 'Ada',
    triesLeft: 3,
    retry: { op: 'sign-in' },
    busy: false,
    attempts: 0,
    countdown: { kind: 'counting', secondsLeft: 2 },
  },
};
const sessionPhases: Record<string, Phase> = {
  ...activePhases,
  'welcome (finished card still in)': { kind: 'welcome', cardInReader: S, cardWaiting: null },
  'still-there over a stopped enrollment': {
    kind: 'still-there',
    secondsLeft: 5,
    paused: activePhases['enrollment (stopped)']!,
  },
  'still-there over pin': { kind: 'still-there', secondsLeft: 9, paused: activePhases['pin (verifying)']! },
};
const allPhases: Record<string, Phase> = {
  ...sessionPhases,
  welcome: { kind: 'welcome', cardInReader: null, cardWaiting: null },
};

function run(state: SessionState, ...events: SessionEvent[]): Transition {
  let transition: Transition = { state, effects: [] };
  const effects: SessionEffect[] = [];
  for (const event of events) {
    transition = reduce(transition.state, event, config);
    effects.push(...transition.effects);
  }
  return { ...transition, effects };
}
const types = (t: Transition): string[] =>
  t.effects.map((e) => (e.type === 'start-timer' || e.type === 'cancel-timer' ? `${e.type}:${e.timer}` : e.type));

describe('session: card removed', () => {
  it.each(Object.entries(sessionPhases))(
    'from %s → welcome, session ended, nothing of the person left',
    (_name, phase) => {
      const t = reduce(at(phase), { type: 'card-removed', sessionId: S }, config);
      expect(t.state.phase).toEqual({ kind: 'welcome', cardInReader: null, cardWaiting: null });
      if (phase.kind !== 'welcome') expect(t.effects).toContainEqual({ type: 'end-session', sessionId: S });
      const view = JSON.stringify(viewOf(t.state, { helpUrl: 'https://help.example' }));
      expect(view).not.toContain('Ada');
      expect(view).not.toContain(enrollment.otp);
      expect(view).not.toContain(enrollment.enrollmentId);
    },
  );

  it.each(Object.entries(sessionPhases))('from %s, another card pulled → nothing changes', (_name, phase) => {
    const t = reduce(at(phase), { type: 'card-removed', sessionId: S + 1 }, config);
    expect(t.state.phase).toBe(phase);
    expect(t.effects).toEqual([]);
  });
});

describe('session: cancel', () => {
  it.each(Object.entries(activePhases))(
    'from %s → "Take your card out"; the card is remembered, not read again',
    (_name, phase) => {
      const t = run(at(phase), { type: 'cancel' });
      expect(t.state.phase).toEqual({ kind: 'welcome', cardInReader: S, cardWaiting: null });
      expect(viewOf(t.state, { helpUrl: '' }).screen).toBe('take-card-out');
      expect(types(t)).toEqual(['end-session']);
      // Once removed, the next insertion is read.
      const next = run(t.state, { type: 'card-removed', sessionId: S }, { type: 'card-inserted', sessionId: S + 2 });
      expect(next.state.phase).toEqual({ kind: 'reading-card', sessionId: S + 2 });
    },
  );
});

describe('session: calls that do not fit the screen are refused with the state unchanged', () => {
  const calls: [string, SessionEvent, (p: Phase) => boolean][] = [
    [
      'pin-submitted',
      { type: 'pin-submitted', confirmLastTry: true },
      (p) => p.kind === 'pin' && p.step === 'entering',
    ],
    [
      'user-code-submitted',
      { type: 'user-code-submitted', code: 'WDJB-MJHT' },
      (p) => p.kind === 'user-code' && p.checking === null,
    ],
    ['device-confirmed', { type: 'device-confirmed' }, (p) => p.kind === 'confirm-device' && p.answering === null],
    ['device-refused', { type: 'device-refused' }, (p) => p.kind === 'confirm-device' && p.answering === null],
    ['renew-requested', { type: 'renew-requested' }, (p) => p.kind === 'enrollment' && !p.renewing],
    ['still-here', { type: 'still-here' }, (p) => p.kind === 'still-there'],
  ];
  for (const [name, event, fits] of calls) {
    const misfits = Object.entries(allPhases).filter(([, phase]) => !fits(phase));
    it.each(misfits)(`${name} on %s → not-now`, (_label, phase) => {
      const t = reduce(at(phase), event, config);
      expect(t.refusal).toBe('not-now');
      expect(t.state.phase).toBe(phase);
      expect(t.effects).toEqual([]);
    });
  }
});

describe('session: the happy path', () => {
  it('card in → read → PIN → sign-in → user code → the phone shown, confirmed → QR/OTP → phone done → welcome', () => {
    let t = run({ ...INITIAL_STATE, env }, { type: 'card-inserted', sessionId: S });
    expect(t.state.phase.kind).toBe('reading-card');
    expect(types(t)).toEqual(['read-card', 'start-timer:idle']);

    t = run(t.state, { type: 'card-read', sessionId: S, outcome: { kind: 'ok', holderName: 'Ada', triesLeft: 3 } });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({
      screen: 'pin',
      holderName: 'Ada',
      triesLeft: 3,
      lastTryWarning: false,
      lastAttempt: 'none',
      busy: false,
    });

    t = run(t.state, { type: 'pin-submitted', confirmLastTry: false });
    expect(types(t)).toEqual(['verify-pin', 'start-timer:idle']);
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'pin', busy: true });

    t = run(t.state, { type: 'pin-verified', sessionId: S, outcome: { kind: 'ok' } });
    expect(t.effects).toEqual([{ type: 'sign-in', sessionId: S }]);

    t = run(t.state, { type: 'signed-in', sessionId: S, outcome: { kind: 'ok', issuerSession } });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({
      screen: 'user-code',
      holderName: 'Ada',
      error: 'none',
      busy: false,
    });

    t = run(t.state, { type: 'user-code-submitted', code: ' wdjb-mjht ' });
    expect(t.effects[0]).toEqual({ type: 'show-device', sessionId: S, issuerSession, userCode: 'WDJBMJHT' });

    t = run(t.state, { type: 'device-shown', sessionId: S, outcome: { kind: 'ok', shown } });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({
      screen: 'confirm-device',
      holderName: 'Ada',
      device: shown.device,
      matchNumber: '37',
      busy: false,
    });
    expect(types(t)).toEqual(['start-timer:idle']);

    t = run(t.state, { type: 'device-confirmed' });
    expect(t.effects[0]).toEqual({
      type: 'approve-user-code',
      sessionId: S,
      issuerSession,
      userCode: 'WDJBMJHT',
      matchNumber: '37',
    });
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'confirm-device', busy: true });

    t = run(t.state, { type: 'user-code-checked', sessionId: S, outcome: { kind: 'ok', enrollment } });
    expect(viewOf(t.state, { helpUrl: 'https://help.example' })).toEqual({
      screen: 'enrollment',
      qrPayload: enrollment.qrPayload,
      otp: enrollment.otp,
      expiresAt: enrollment.expiresAt,
      helpUrl: 'https://help.example',
      renewing: false,
      phoneSeen: false,
      agentCheck: null,
      stopped: null,
    });
    expect(t.effects).toContainEqual({
      type: 'wait-for-completion',
      sessionId: S,
      issuerSession,
      enrollmentId: enrollment.enrollmentId,
    });

    t = run(t.state, {
      type: 'completion',
      sessionId: S,
      enrollmentId: enrollment.enrollmentId,
      outcome: { kind: 'completed', credentialExpiresAt: null },
    });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'done', holderName: 'Ada', credentialExpiresAt: null });
    expect(types(t)).toEqual(['cancel-timer:idle', 'start-timer:done']);

    t = run(t.state, { type: 'timer-fired', timer: 'done' });
    expect(t.state.phase).toEqual({ kind: 'welcome', cardInReader: S, cardWaiting: null });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'take-card-out', virtualCardOffered: true });
  });
});

describe('session: PIN', () => {
  const entering = activePhases['pin (entering)'] as ActivePhase & { kind: 'pin' };

  it('wrong PIN → PIN screen again with the tries left; then the right PIN signs in', () => {
    let t = run(
      at(entering),
      { type: 'pin-submitted', confirmLastTry: false },
      { type: 'pin-verified', sessionId: S, outcome: { kind: 'wrong', triesLeft: 2 } },
    );
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({
      screen: 'pin',
      triesLeft: 2,
      lastAttempt: 'wrong',
      busy: false,
    });
    t = run(
      t.state,
      { type: 'pin-submitted', confirmLastTry: false },
      { type: 'pin-verified', sessionId: S, outcome: { kind: 'ok' } },
    );
    expect(t.state.phase).toMatchObject({ kind: 'pin', step: 'signing-in' });
  });

  it('last try: warns, refuses without confirmation, accepts with it', () => {
    const lastTry = at({ ...entering, triesLeft: 1 });
    expect(viewOf(lastTry, { helpUrl: '' })).toMatchObject({ lastTryWarning: true });
    const refused = reduce(lastTry, { type: 'pin-submitted', confirmLastTry: false }, config);
    expect(refused.refusal).toBe('last-try-not-confirmed');
    expect(refused.effects).toEqual([]);
    expect(reduce(lastTry, { type: 'pin-submitted', confirmLastTry: true }, config).effects[0]?.type).toBe(
      'verify-pin',
    );
  });

  it('blocked → pin-blocked with the help URL; card error → unreadable', () => {
    const verifying = at({ ...entering, step: 'verifying' });
    const blocked = reduce(verifying, { type: 'pin-verified', sessionId: S, outcome: { kind: 'blocked' } }, config);
    expect(viewOf(blocked.state, { helpUrl: 'https://help.example' })).toEqual({
      screen: 'pin-blocked',
      helpUrl: 'https://help.example',
    });
    const broken = reduce(verifying, { type: 'pin-verified', sessionId: S, outcome: { kind: 'card-error' } }, config);
    expect(viewOf(broken.state, { helpUrl: '' })).toEqual({ screen: 'card-refused', reason: 'unreadable' });
  });

  it('refuses a second submission while the first is verifying', () => {
    const t = run(
      at(entering),
      { type: 'pin-submitted', confirmLastTry: false },
      { type: 'pin-submitted', confirmLastTry: false },
    );
    expect(t.refusal).toBe('not-now');
    expect(t.effects.filter((e) => e.type === 'verify-pin')).toHaveLength(1);
  });

  it('card refused at reading: blocked card / expired certificate / not PIV', () => {
    for (const reason of ['pin-blocked', 'certificate-expired', 'not-piv', 'card-untrusted', 'unreadable'] as const) {
      const t = reduce(
        at(activePhases['reading-card']!),
        { type: 'card-read', sessionId: S, outcome: { kind: 'refused', reason } },
        config,
      );
      expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'card-refused', reason });
    }
  });

  it('issuer refuses the card at sign-in → card-refused; card lost its PIN → PIN again', () => {
    const signingIn = at(activePhases['pin (signing-in)']!);
    const untrusted = reduce(
      signingIn,
      { type: 'signed-in', sessionId: S, outcome: { kind: 'refused', reason: 'card-untrusted' } },
      config,
    );
    expect(viewOf(untrusted.state, { helpUrl: '' })).toEqual({ screen: 'card-refused', reason: 'card-untrusted' });
    const again = reduce(signingIn, { type: 'signed-in', sessionId: S, outcome: { kind: 'pin-needed' } }, config);
    expect(again.state.phase).toMatchObject({ kind: 'pin', step: 'entering', lastAttempt: 'none' });
  });
});

describe('session: user code and enrollment', () => {
  const typing = at(activePhases['user-code (entering)']!);

  it.each(['', 'WDJB', 'WDJB-MJHTX', 'AEIO-UAEI', '1234-5678', 'WDJB_MJHT'])(
    'bad format %j → explained, no issuer call',
    (code) => {
      const t = reduce(typing, { type: 'user-code-submitted', code }, config);
      expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'user-code', error: 'bad-format', busy: false });
      expect(t.effects.map((e) => e.type)).toEqual(['start-timer']);
    },
  );

  it.each(['unknown-code', 'expired-code'] as const)('%s → explained, person can type again', (error) => {
    const t = run(
      typing,
      { type: 'user-code-submitted', code: 'WDJBMJHT' },
      { type: 'device-shown', sessionId: S, outcome: { kind: 'rejected', error } },
    );
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'user-code', error, busy: false });
    expect(reduce(t.state, { type: 'user-code-submitted', code: 'BCDF-GHJK' }, config).effects[0]?.type).toBe(
      'show-device',
    );
  });

  it('issuer ended the sign-in (too many wrong codes, or time) → back to PIN, saying so', () => {
    const t = run(
      typing,
      { type: 'user-code-submitted', code: 'WDJBMJHT' },
      { type: 'device-shown', sessionId: S, outcome: { kind: 'session-expired' } },
    );
    expect(t.state.phase).toMatchObject({ kind: 'pin', step: 'entering', holderName: 'Ada' });
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'pin', lastAttempt: 'signed-out' });
  });

  it('"not my phone" → the phone is turned away at the issuer → the code screen says so; nothing approved', () => {
    let t = run(at(activePhases['confirm-device']!), { type: 'device-refused' });
    expect(t.effects[0]).toEqual({ type: 'deny-device', sessionId: S, issuerSession, pairingId: shown.pairingId });
    expect(t.effects.some((effect) => effect.type === 'approve-user-code')).toBe(false);
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'confirm-device', busy: true });
    t = run(t.state, { type: 'device-denied', sessionId: S, outcome: { kind: 'ok' } });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({
      screen: 'user-code',
      holderName: 'Ada',
      error: 'not-my-phone',
      busy: false,
    });
    // A phone approved, expired or taken over meanwhile: the same screen (there is nothing left to turn away).
    const gone = run(at(activePhases['confirm-device (denying)']!), {
      type: 'device-denied',
      sessionId: S,
      outcome: deviceDeniedFailure({ code: 'pairing-unknown', detail: '' }),
    });
    expect(viewOf(gone.state, { helpUrl: '' })).toMatchObject({ screen: 'user-code', error: 'not-my-phone' });
  });

  it('"not my phone" with the issuer unreachable → retried until the issuer hears it', () => {
    let t = run(
      at(activePhases['confirm-device (denying)']!),
      { type: 'device-denied', sessionId: S, outcome: { kind: 'unreachable', busy: false } },
      { type: 'timer-fired', timer: 'retry-tick' },
      { type: 'timer-fired', timer: 'retry-tick' },
    );
    expect(t.effects).toContainEqual({ type: 'deny-device', sessionId: S, issuerSession, pairingId: shown.pairingId });
    t = run(t.state, { type: 'device-denied', sessionId: S, outcome: { kind: 'ok' } });
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'user-code', error: 'not-my-phone' });
  });

  it('approval refused because another sign-in showed the code meanwhile → asked for the code again', () => {
    const outcome = userCodeFailure({ code: 'pairing-not-shown', detail: '' });
    const t = run(at(activePhases['confirm-device (approving)']!), {
      type: 'user-code-checked',
      sessionId: S,
      outcome,
    });
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'user-code', error: 'unknown-code', busy: false });
  });

  it("showing the phone: the issuer's refusals read like the code's; card refusals and the unknown count as unreachable", () => {
    expect(deviceShownFailure({ code: 'user-code-unknown', detail: '' })).toEqual({
      kind: 'rejected',
      error: 'unknown-code',
    });
    expect(deviceShownFailure({ code: 'invalid-session', detail: '' })).toEqual({ kind: 'session-expired' });
    expect(deviceShownFailure({ code: 'internal-error', detail: '' })).toEqual({ kind: 'unreachable', busy: false });
  });

  it('answers for the other step are ignored: a late approval while denying, a late denial while approving', () => {
    const denying = at(activePhases['confirm-device (denying)']!);
    expect(
      reduce(denying, { type: 'user-code-checked', sessionId: S, outcome: { kind: 'ok', enrollment } }, config).state,
    ).toBe(denying);
    const approving = at(activePhases['confirm-device (approving)']!);
    expect(reduce(approving, { type: 'device-denied', sessionId: S, outcome: { kind: 'ok' } }, config).state).toBe(
      approving,
    );
  });

  it.each([
    ['card-revoked', 'card-untrusted'],
    ['card-not-trusted', 'card-untrusted'],
    ['card-expired', 'certificate-expired'],
    ['card-expires-too-soon', 'certificate-expired'],
  ] as const)(
    'the issuer re-checked the card at approval: %s → card refused (%s), never "issuer unreachable"',
    (code, reason) => {
      const outcome = userCodeFailure({ code, detail: 'refused' });
      const t = run(
        at(activePhases['confirm-device']!),
        { type: 'device-confirmed' },
        { type: 'user-code-checked', sessionId: S, outcome },
      );
      expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'card-refused', reason });
    },
  );

  it.each(['session-approval-limit', 'user-code-attempts-exhausted'] as const)(
    '%s → back to PIN, signed out',
    (code) => {
      expect(userCodeFailure({ code, detail: 'limit' })).toEqual({ kind: 'session-expired' });
    },
  );

  it('renew → new QR/OTP, waits on the new enrollment; news about the old one is ignored', () => {
    const fresh: Enrollment = { ...enrollment, enrollmentId: 'enrollment-id-new-000000', otp: '11112222' };
    let t = run(at(activePhases.enrollment!), { type: 'renew-requested' });
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'enrollment', renewing: true });
    t = run(t.state, { type: 'renewed', sessionId: S, outcome: { kind: 'ok', enrollment: fresh } });
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ otp: '11112222', renewing: false });
    expect(t.effects).toContainEqual({
      type: 'wait-for-completion',
      sessionId: S,
      issuerSession,
      enrollmentId: fresh.enrollmentId,
    });
    const old = reduce(
      t.state,
      {
        type: 'completion',
        sessionId: S,
        enrollmentId: enrollment.enrollmentId,
        outcome: { kind: 'completed', credentialExpiresAt: null },
      },
      config,
    );
    expect(old.state).toBe(t.state);
  });

  it.each(['too-many-tries', 'expired'] as const)(
    'QR/OTP died (%s) → says why, "new code" appears, the idle timer runs again',
    (why) => {
      const t = reduce(
        at(activePhases.enrollment!),
        {
          type: 'completion',
          sessionId: S,
          enrollmentId: enrollment.enrollmentId,
          outcome: { kind: 'dead', at: '2029-12-31T23:59:00.000Z', why },
        },
        config,
      );
      expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({
        screen: 'enrollment',
        expiresAt: '2029-12-31T23:59:00.000Z',
        stopped: why,
      });
      expect(types(t)).toEqual(['start-timer:idle']);
    },
  );

  it('the phone finished → "You\'re all set" with the credential\'s end date from the issuer', () => {
    const t = reduce(
      at(activePhases.enrollment!),
      {
        type: 'completion',
        sessionId: S,
        enrollmentId: enrollment.enrollmentId,
        outcome: { kind: 'completed', credentialExpiresAt: '2031-01-01T00:00:00.000Z' },
      },
      config,
    );
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({
      screen: 'done',
      holderName: 'Ada',
      credentialExpiresAt: '2031-01-01T00:00:00.000Z',
    });
  });

  it('the phone was seen (a password try reached the issuer) → "your phone has scanned", still waiting', () => {
    const t = reduce(
      at(activePhases.enrollment!),
      {
        type: 'completion',
        sessionId: S,
        enrollmentId: enrollment.enrollmentId,
        outcome: { kind: 'pending', phoneSeen: true, agentCheck: null },
      },
      config,
    );
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'enrollment', phoneSeen: true, stopped: null });
    expect(types(t)).toEqual(['wait-for-completion']);
  });

  it('supervised issuance: the phone key waits for an agent → the fingerprint shows; affirmed → said so, still waiting', () => {
    const pending = (affirmed: boolean): SessionEvent => ({
      type: 'completion',
      sessionId: S,
      enrollmentId: enrollment.enrollmentId,
      outcome: { kind: 'pending', phoneSeen: true, agentCheck: { keyFingerprint: 'A1B2-C3D4-E5F6-0718', affirmed } },
    });
    let t = reduce(at(activePhases.enrollment!), pending(false), config);
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({
      screen: 'enrollment',
      agentCheck: { keyFingerprint: 'A1B2-C3D4-E5F6-0718', affirmed: false },
      stopped: null,
    });
    expect(types(t)).toEqual(['wait-for-completion']);
    t = reduce(t.state, pending(true), config);
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ agentCheck: { affirmed: true }, stopped: null });
    expect(types(t)).toEqual(['wait-for-completion']);
  });

  it.each([
    [false, 'expired', 'not-affirmed'],
    [true, 'expired', 'expired'],
    [false, 'too-many-tries', 'too-many-tries'],
  ] as const)('the code dies while the agent affirmed=%s (%s) → stopped: %s', (affirmed, why, stopped) => {
    const base = activePhases.enrollment;
    if (base?.kind !== 'enrollment') throw new Error('the enrollment fixture');
    const waiting = at({ ...base, agentCheck: { keyFingerprint: 'A1B2-C3D4-E5F6-0718', affirmed } });
    const t = reduce(
      waiting,
      {
        type: 'completion',
        sessionId: S,
        enrollmentId: enrollment.enrollmentId,
        outcome: { kind: 'dead', at: '2029-12-31T23:59:00.000Z', why },
      },
      config,
    );
    expect(viewOf(t.state, { helpUrl: '' })).toMatchObject({ screen: 'enrollment', stopped });
  });

  it('long poll ended without news → asks again; failed → retries after a pause', () => {
    const e = at(activePhases.enrollment!);
    expect(
      types(
        reduce(
          e,
          {
            type: 'completion',
            sessionId: S,
            enrollmentId: enrollment.enrollmentId,
            outcome: { kind: 'pending', phoneSeen: false, agentCheck: null },
          },
          config,
        ),
      ),
    ).toEqual(['wait-for-completion']);
    const failed = run(e, {
      type: 'completion',
      sessionId: S,
      enrollmentId: enrollment.enrollmentId,
      outcome: { kind: 'unreachable', busy: false },
    });
    expect(types(failed)).toEqual(['start-timer:completion-retry']);
    expect(viewOf(failed.state, { helpUrl: '' }).screen).toBe('enrollment');
    expect(types(run(failed.state, { type: 'timer-fired', timer: 'completion-retry' }))).toEqual([
      'wait-for-completion',
    ]);
  });
});

describe('session: issuer unreachable', () => {
  it('counts down, retries, gives up after the configured retries (retryInSeconds null), never spins forever', () => {
    const signingIn = at(activePhases['pin (signing-in)']!);
    let t = run(signingIn, { type: 'signed-in', sessionId: S, outcome: { kind: 'unreachable', busy: false } });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'issuer-unreachable', retryInSeconds: 2, busy: false });
    expect(t.state.env.issuer).toBe('unreachable');
    t = run(t.state, { type: 'timer-fired', timer: 'retry-tick' });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'issuer-unreachable', retryInSeconds: 1, busy: false });
    t = run(t.state, { type: 'timer-fired', timer: 'retry-tick' });
    expect(t.effects).toEqual([{ type: 'sign-in', sessionId: S }]);
    t = run(t.state, { type: 'signed-in', sessionId: S, outcome: { kind: 'unreachable', busy: false } });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'issuer-unreachable', retryInSeconds: 3, busy: false });
    t = run(t.state, ...Array.from({ length: 3 }, () => ({ type: 'timer-fired', timer: 'retry-tick' }) as const));
    expect(t.effects).toContainEqual({ type: 'sign-in', sessionId: S });
    t = run(t.state, { type: 'signed-in', sessionId: S, outcome: { kind: 'unreachable', busy: false } });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({
      screen: 'issuer-unreachable',
      retryInSeconds: null,
      busy: false,
    });
    expect(t.effects.filter((e) => e.type === 'start-timer' && e.timer === 'retry-tick')).toHaveLength(0);
    expect(reduce(t.state, { type: 'cancel' }, config).state.phase.kind).toBe('welcome');
  });

  it('an issuer whose database is down is shown busy, not out of reach, and retried the same way', () => {
    const checking = at(activePhases['user-code (checking)']!);
    let t = run(checking, { type: 'device-shown', sessionId: S, outcome: { kind: 'unreachable', busy: true } });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'issuer-unreachable', retryInSeconds: 2, busy: true });
    t = run(t.state, { type: 'timer-fired', timer: 'retry-tick' }, { type: 'timer-fired', timer: 'retry-tick' });
    expect(t.effects).toContainEqual({ type: 'show-device', sessionId: S, issuerSession, userCode: 'WDJBMJHT' });
    // The retry met an issuer out of reach this time: the screen says so again.
    t = run(t.state, { type: 'device-shown', sessionId: S, outcome: { kind: 'unreachable', busy: false } });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'issuer-unreachable', retryInSeconds: 3, busy: false });
  });

  it('a successful retry continues where it stopped (user code → the phone shown)', () => {
    const checking = at(activePhases['user-code (checking)']!);
    let t = run(
      checking,
      { type: 'device-shown', sessionId: S, outcome: { kind: 'unreachable', busy: false } },
      { type: 'timer-fired', timer: 'retry-tick' },
      { type: 'timer-fired', timer: 'retry-tick' },
    );
    expect(t.effects).toContainEqual({ type: 'show-device', sessionId: S, issuerSession, userCode: 'WDJBMJHT' });
    t = run(t.state, { type: 'device-shown', sessionId: S, outcome: { kind: 'ok', shown } });
    expect(viewOf(t.state, { helpUrl: '' }).screen).toBe('confirm-device');
  });

  it('a successful retry continues where it stopped (confirmed phone → enrollment)', () => {
    const approving = at(activePhases['confirm-device (approving)']!);
    let t = run(
      approving,
      { type: 'user-code-checked', sessionId: S, outcome: { kind: 'unreachable', busy: false } },
      { type: 'timer-fired', timer: 'retry-tick' },
      { type: 'timer-fired', timer: 'retry-tick' },
    );
    expect(t.effects).toContainEqual({
      type: 'approve-user-code',
      sessionId: S,
      issuerSession,
      userCode: 'WDJBMJHT',
      matchNumber: '37',
    });
    t = run(t.state, { type: 'user-code-checked', sessionId: S, outcome: { kind: 'ok', enrollment } });
    expect(viewOf(t.state, { helpUrl: '' }).screen).toBe('enrollment');
    expect(t.state.env.issuer).toBe('reachable');
  });

  it('a late answer to the first try while counting down is ignored (only one call in flight)', () => {
    const t = run(at(activePhases['issuer-unreachable']!), {
      type: 'signed-in',
      sessionId: S,
      outcome: { kind: 'ok', issuerSession },
    });
    expect(t.state.phase.kind).toBe('issuer-unreachable');
  });
});

/** Phases "Still there?" may interrupt: all but a live QR/OTP, where the person is busy with their phone. */
const idlePhases = Object.entries(activePhases).filter(([name]) => name !== 'enrollment');

describe('session: idle', () => {
  it('a live QR/OTP is never covered by "Still there?": showing it stops the idle timer, taps do not restart it', () => {
    const live = at(activePhases.enrollment!);
    expect(reduce(live, { type: 'timer-fired', timer: 'idle' }, config).state).toBe(live);
    expect(reduce(live, { type: 'activity' }, config).effects).toEqual([]);
    const showing = run(at(activePhases['confirm-device (approving)']!), {
      type: 'user-code-checked',
      sessionId: S,
      outcome: { kind: 'ok', enrollment },
    });
    expect(types(showing)).toContain('cancel-timer:idle');
    expect(types(showing)).not.toContain('start-timer:idle');
  });

  it.each(idlePhases)('idle on %s → "Still there?" counting down → welcome', (_name, phase) => {
    let t = run(at(phase), { type: 'timer-fired', timer: 'idle' });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'still-there', secondsLeft: config.warningSeconds });
    for (let i = 1; i < config.warningSeconds; i += 1) t = run(t.state, { type: 'timer-fired', timer: 'warning-tick' });
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'still-there', secondsLeft: 1 });
    t = run(t.state, { type: 'timer-fired', timer: 'warning-tick' });
    expect(t.state.phase).toEqual({ kind: 'welcome', cardInReader: S, cardWaiting: null });
    expect(t.effects).toContainEqual({ type: 'end-session', sessionId: S });
  });

  it('"I\'m still here" (or any activity) returns to the same screen and restarts the idle timer', () => {
    const pin = activePhases['pin (entering)']!;
    for (const type of ['still-here', 'activity'] as const) {
      const t = run(at(pin), { type: 'timer-fired', timer: 'idle' }, { type });
      expect(t.state.phase).toBe(pin);
      expect(types(t)).toContain('start-timer:idle');
    }
  });

  it('work finishing behind the warning advances the paused screen; the phone finishing shows "done"', () => {
    const paused = run(
      at(activePhases['pin (verifying)']!),
      { type: 'timer-fired', timer: 'idle' },
      { type: 'pin-verified', sessionId: S, outcome: { kind: 'ok' } },
    );
    expect(paused.state.phase).toMatchObject({ kind: 'still-there', paused: { kind: 'pin', step: 'signing-in' } });
    const done = run(
      at(activePhases['enrollment (stopped)']!),
      { type: 'timer-fired', timer: 'idle' },
      {
        type: 'completion',
        sessionId: S,
        enrollmentId: enrollment.enrollmentId,
        outcome: { kind: 'completed', credentialExpiresAt: null },
      },
    );
    expect(viewOf(done.state, { helpUrl: '' })).toEqual({
      screen: 'done',
      holderName: 'Ada',
      credentialExpiresAt: null,
    });
  });

  it('idle on welcome does nothing', () => {
    const welcome = at({ kind: 'welcome', cardInReader: null, cardWaiting: null });
    expect(reduce(welcome, { type: 'timer-fired', timer: 'idle' }, config).state).toBe(welcome);
  });
});

describe('session: stale work and the welcome screen', () => {
  const outcomes: SessionEvent[] = [
    { type: 'card-read', sessionId: S - 1, outcome: { kind: 'ok', holderName: 'Eve', triesLeft: 3 } },
    { type: 'pin-verified', sessionId: S - 1, outcome: { kind: 'ok' } },
    { type: 'signed-in', sessionId: S - 1, outcome: { kind: 'ok', issuerSession } },
    { type: 'device-shown', sessionId: S - 1, outcome: { kind: 'ok', shown } },
    { type: 'device-denied', sessionId: S - 1, outcome: { kind: 'ok' } },
    { type: 'user-code-checked', sessionId: S - 1, outcome: { kind: 'ok', enrollment } },
    { type: 'renewed', sessionId: S - 1, outcome: { kind: 'ok', enrollment } },
    {
      type: 'completion',
      sessionId: S - 1,
      enrollmentId: enrollment.enrollmentId,
      outcome: { kind: 'completed', credentialExpiresAt: null },
    },
  ];
  it.each(Object.entries(allPhases))('results for an earlier card are ignored on %s', (_name, phase) => {
    for (const event of outcomes) {
      const t = reduce(at(phase), event, config);
      expect(t.state.phase).toBe(phase);
      expect(t.effects).toEqual([]);
    }
  });

  it('out of order (card service, no reader, issuer) for the next person, in that order; welcome once all work', () => {
    const view = (t: Transition) => viewOf(t.state, { helpUrl: '' });
    let t = run(
      INITIAL_STATE,
      { type: 'readers-changed', readers: 'service-down' },
      { type: 'issuer-status', issuer: 'unreachable' },
    );
    expect(view(t)).toEqual({ screen: 'out-of-order', reason: 'card-service' });
    t = run(t.state, { type: 'readers-changed', readers: 'none' });
    expect(view(t)).toEqual({ screen: 'out-of-order', reason: 'no-reader' });
    t = run(
      t.state,
      { type: 'readers-changed', readers: 'ready' },
      { type: 'virtual-card-availability', available: true },
    );
    expect(view(t)).toEqual({ screen: 'out-of-order', reason: 'issuer-unreachable' });
    expect(reduce(t.state, { type: 'use-virtual-card' }, config).refusal).toBe('not-now');
    t = run(t.state, { type: 'issuer-status', issuer: 'reachable' });
    expect(view(t)).toEqual({ screen: 'welcome', virtualCardOffered: true });
    expect(reduce(t.state, { type: 'use-virtual-card' }, config).effects).toEqual([{ type: 'insert-virtual-card' }]);
    t = run(t.state, { type: 'virtual-card-availability', available: false });
    expect(reduce(t.state, { type: 'use-virtual-card' }, config).refusal).toBe('virtual-card-unavailable');
  });

  it('a card inserted while out of order (e.g. before the kiosk saw its reader) is read as soon as the kiosk works', () => {
    let t = run(INITIAL_STATE, { type: 'card-inserted', sessionId: S });
    expect(t.effects).toEqual([]);
    expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'out-of-order', reason: 'no-reader' });
    t = run(t.state, { type: 'readers-changed', readers: 'ready' });
    expect(t.state.phase).toEqual({ kind: 'reading-card', sessionId: S });
    expect(t.effects).toContainEqual({ type: 'read-card', sessionId: S });
  });

  it('a waiting card taken out is forgotten', () => {
    const waiting = run(
      { ...INITIAL_STATE, env },
      { type: 'issuer-status', issuer: 'unreachable' },
      { type: 'card-inserted', sessionId: S },
    );
    const t = run(
      waiting.state,
      { type: 'card-removed', sessionId: S },
      { type: 'issuer-status', issuer: 'reachable' },
    );
    expect(t.state.phase).toEqual({ kind: 'welcome', cardInReader: null, cardWaiting: null });
    expect(t.effects).toEqual([]);
  });

  it.each([
    ['"You\'re all set" ends', activePhases.done!, { type: 'timer-fired', timer: 'done' }],
    ['the card was refused and "Start over" pressed', activePhases['card-refused']!, { type: 'cancel' }],
    ['"Start over" on the PIN screen', activePhases['pin (entering)']!, { type: 'cancel' }],
  ] as const)(
    '%s with the card still in → "Take your card out"; out → welcome; in again → a new session',
    (_name, phase, event) => {
      let t = run(at(phase), event);
      expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'take-card-out', virtualCardOffered: true });
      expect(reduce(t.state, { type: 'card-inserted', sessionId: S + 1 }, config).effects).toContainEqual({
        type: 'read-card',
        sessionId: S + 1,
      });
      expect(reduce(t.state, { type: 'use-virtual-card' }, config).effects).toEqual([{ type: 'insert-virtual-card' }]);
      t = run(t.state, { type: 'card-removed', sessionId: S });
      expect(viewOf(t.state, { helpUrl: '' })).toEqual({ screen: 'welcome', virtualCardOffered: true });
      t = run(t.state, { type: 'card-inserted', sessionId: S + 1 });
      expect(t.state.phase).toEqual({ kind: 'reading-card', sessionId: S + 1 });
    },
  );

  it('a second card while a session runs is ignored', () => {
    const pin = at(activePhases['pin (entering)']!);
    expect(reduce(pin, { type: 'card-inserted', sessionId: S + 1 }, config).state).toBe(pin);
  });
});

describe('session: secrets in views', () => {
  it.each(Object.entries(allPhases))(
    '%s: the OTP and QR payload appear only on the enrollment screen',
    (_name, phase) => {
      const view = viewOf(at(phase), { helpUrl: 'https://help.example' });
      const text = JSON.stringify(view);
      const shows = view.screen === 'enrollment';
      expect(text.includes(enrollment.otp)).toBe(shows);
      expect(text.includes(enrollment.qrPayload)).toBe(shows);
      expect(text).not.toContain(issuerSession.token);
    },
  );

  it('sessionOf covers every phase', () => {
    for (const phase of Object.values(sessionPhases)) expect(sessionOf(phase)).toBe(S);
  });
});

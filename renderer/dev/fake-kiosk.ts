// DEV-ONLY FAKE of window.kiosk, for working on the screens without main, a card or an issuer.
// Loaded only by the Vite dev server when no host defined window.kiosk (see ../kiosk-client.ts); production
// builds do not contain it. It is NOT the kiosk's logic: main/ owns the real session state machine.
//
// URL parameters:
//   (none)                 an interactive walk-through: demo card → PIN 123456 → code BCDF-GHJK → the phone
//                          (confirm, or "not my phone") → QR → done
//   ?fake=<screen>         pins one screen, e.g. ?fake=pin&variant=last-try, ?fake=enrollment&variant=expired
//   ?fake=cycle            shows every screen in turn, 4 s each
//   &lang=nl               (any mode) the kiosk's default language
import type {
  KioskApi,
  KioskConfig,
  KioskError,
  KioskView,
  OutOfOrderReason,
  Result,
} from '../../contracts/kiosk-api.ts';

const FAKE_PIN = '123456';
const FAKE_USER_CODE = 'BCDFGHJK';
const FAKE_HELP_URL = 'https://help.example.org/kiosk';
const FAKE_NAME = 'Alex van der Berg';
const FAKE_PHONE = {
  platform: 'Android 15',
  model: 'Pixel 9',
  appName: 'Derived Credentials',
  appVersion: '2.4.1',
} as const;

type Listener = (view: KioskView) => void;
const done: Result<void, KioskError> = { ok: true, value: undefined };

function inSeconds(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString();
}

/** Every screen with the variants worth a screenshot. */
export function fakeView(screen: string, variant: string | null): KioskView {
  switch (screen) {
    case 'reading-card':
      return { screen: 'reading-card' };
    case 'card-refused':
      return {
        screen: 'card-refused',
        reason: variant === 'expired' ? 'certificate-expired' : variant === 'untrusted' ? 'card-untrusted' : 'not-piv',
      };
    case 'pin':
      if (variant === 'wrong')
        return {
          screen: 'pin',
          holderName: FAKE_NAME,
          triesLeft: 2,
          lastTryWarning: false,
          lastAttempt: 'wrong',
          busy: false,
        };
      if (variant === 'last-try')
        return {
          screen: 'pin',
          holderName: FAKE_NAME,
          triesLeft: 1,
          lastTryWarning: true,
          lastAttempt: 'wrong',
          busy: false,
        };
      return {
        screen: 'pin',
        holderName: FAKE_NAME,
        triesLeft: 3,
        lastTryWarning: false,
        lastAttempt: 'none',
        busy: false,
      };
    case 'pin-blocked':
      return { screen: 'pin-blocked', helpUrl: FAKE_HELP_URL };
    case 'user-code':
      return { screen: 'user-code', holderName: FAKE_NAME, error: userCodeError(variant), busy: false };
    case 'confirm-device':
      return {
        screen: 'confirm-device',
        holderName: FAKE_NAME,
        matchNumber: '07',
        busy: false,
        device:
          variant === 'unreported' ? { platform: null, model: null, appName: null, appVersion: null } : FAKE_PHONE,
      };
    case 'enrollment':
      return {
        screen: 'enrollment',
        qrPayload: 'https://issuer.example.org/e/q3Z8mV1rT0aK9sLw',
        otp: '48213907',
        expiresAt: variant === 'expired' ? inSeconds(-1) : inSeconds(299),
        helpUrl: FAKE_HELP_URL,
        renewing: false,
        phoneSeen: variant === 'scanned' || variant === 'supervised',
        agentCheck: variant === 'supervised' ? { keyFingerprint: 'A1B2-C3D4-E5F6-0718', affirmed: false } : null,
        stopped: variant === 'burned' ? 'too-many-tries' : variant === 'not-affirmed' ? 'not-affirmed' : null,
      };
    case 'done':
      return { screen: 'done', holderName: FAKE_NAME, credentialExpiresAt: inSeconds(364 * 86_400) };
    case 'out-of-order':
      return { screen: 'out-of-order', reason: outOfOrderReason(variant) };
    case 'take-card-out':
      return { screen: 'take-card-out', virtualCardOffered: true };
    case 'issuer-unreachable':
      return {
        screen: 'issuer-unreachable',
        retryInSeconds: variant === 'no-retry' ? null : 15,
        busy: variant === 'busy',
      };
    case 'still-there':
      return { screen: 'still-there', secondsLeft: 10 };
    default:
      return { screen: 'welcome', virtualCardOffered: variant !== 'no-demo' };
  }
}

const CYCLE: readonly [string, string | null][] = [
  ['welcome', null],
  ['reading-card', null],
  ['pin', null],
  ['pin', 'wrong'],
  ['pin', 'last-try'],
  ['user-code', null],
  ['user-code', 'unknown'],
  ['confirm-device', null],
  ['enrollment', null],
  ['done', null],
  ['card-refused', null],
  ['pin-blocked', null],
  ['issuer-unreachable', null],
  ['still-there', null],
  ['out-of-order', null],
];

export function createFakeKiosk(params: URLSearchParams): KioskApi {
  const listeners = new Set<Listener>();
  let current: KioskView = fakeView('welcome', null);
  let triesLeft = 3;
  let beforeIdleWarning: KioskView = current;
  const timers = new Set<number>();

  const show = (view: KioskView): void => {
    if (view.screen === 'still-there' && current.screen !== 'still-there') beforeIdleWarning = current;
    current = view;
    for (const listener of listeners) listener(view);
  };
  const later = (ms: number, action: () => void): void => {
    const timer = window.setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };
  const reset = (): void => {
    for (const timer of timers) window.clearTimeout(timer);
    timers.clear();
    triesLeft = 3;
    show(fakeView('welcome', null));
  };
  const pinView = (lastAttempt: 'none' | 'wrong'): Extract<KioskView, { screen: 'pin' }> => ({
    screen: 'pin',
    holderName: FAKE_NAME,
    triesLeft,
    lastTryWarning: triesLeft === 1,
    lastAttempt,
    busy: false,
  });

  const mode = params.get('fake');
  if (mode === 'cycle') {
    let index = 0;
    window.setInterval(() => {
      index = (index + 1) % CYCLE.length;
      const [screen, variant] = CYCLE[index] ?? ['welcome', null];
      show(fakeView(screen, variant));
    }, 4000);
  } else if (mode) {
    current = fakeView(mode, params.get('variant'));
  }

  const config: KioskConfig = {
    languages: ['en', 'nl'],
    defaultLanguage: params.get('lang') ?? 'en',
    helpUrl: FAKE_HELP_URL,
    displayName: 'Example Agency — Smart card services',
    idleSeconds: 60,
  };

  return {
    onView(listener) {
      listeners.add(listener);
      queueMicrotask(() => listener(current));
      return () => listeners.delete(listener);
    },
    submitPin(pin) {
      // Compare byte by byte and forget: the fake never turns the PIN into a string either.
      const correct = pin.length === FAKE_PIN.length && pin.every((byte, index) => byte === FAKE_PIN.charCodeAt(index));
      show({ ...pinView('none'), busy: true });
      later(500, () => {
        if (correct) {
          triesLeft = 3;
          show({ screen: 'user-code', holderName: FAKE_NAME, error: 'none', busy: false });
          return;
        }
        triesLeft -= 1;
        show(triesLeft === 0 ? { screen: 'pin-blocked', helpUrl: FAKE_HELP_URL } : pinView('wrong'));
      });
      return Promise.resolve(done);
    },
    submitUserCode(code) {
      const compact = code.replace(/[-\s]/g, '').toUpperCase();
      show({ screen: 'user-code', holderName: FAKE_NAME, error: 'none', busy: true });
      later(400, () => {
        if (compact !== FAKE_USER_CODE) {
          show({ screen: 'user-code', holderName: FAKE_NAME, error: 'unknown-code', busy: false });
          return;
        }
        show(fakeView('confirm-device', null));
      });
      return Promise.resolve(done);
    },
    confirmDevice() {
      show({
        ...(fakeView('enrollment', null) as Extract<KioskView, { screen: 'enrollment' }>),
        expiresAt: inSeconds(30),
      });
      later(25_000, () => show({ screen: 'done', holderName: FAKE_NAME, credentialExpiresAt: null }));
      later(30_000, reset);
      return Promise.resolve(done);
    },
    denyDevice() {
      show(fakeView('user-code', 'not-my-phone'));
      return Promise.resolve(done);
    },
    renewEnrollment() {
      if (current.screen === 'enrollment') show({ ...current, expiresAt: inSeconds(300), otp: '90817263' });
      return Promise.resolve(done);
    },
    cancel() {
      reset();
      return Promise.resolve(done);
    },
    stillHere() {
      show(beforeIdleWarning);
      return Promise.resolve(done);
    },
    reportActivity() {
      return Promise.resolve(done);
    },
    useVirtualCard() {
      show({ screen: 'reading-card' });
      later(800, () => show(pinView('none')));
      return Promise.resolve(done);
    },
    getConfig() {
      return Promise.resolve({ ok: true, value: config });
    },
  };
}

function userCodeError(variant: string | null): Extract<KioskView, { screen: 'user-code' }>['error'] {
  if (variant === 'expired') return 'expired-code';
  if (variant === 'unknown') return 'unknown-code';
  if (variant === 'not-my-phone') return 'not-my-phone';
  return 'none';
}

function outOfOrderReason(variant: string | null): OutOfOrderReason {
  if (variant === 'no-reader') return 'no-reader';
  if (variant === 'issuer') return 'issuer-unreachable';
  if (variant === 'configuration') return 'configuration';
  return 'card-service';
}

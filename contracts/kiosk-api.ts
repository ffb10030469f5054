// The kiosk renderer <-> main contract. Both hosts (Electron IPC and the loopback browser host) and the renderer
// import this one file, so a change here is a compile error everywhere it matters.
//
// Rules this file encodes:
// - The renderer sees only `window.kiosk: KioskApi`. Calls resolve to `Result` values; they never reject for an
//   expected failure (a host rejects only if it is itself broken).
// - What a person sees is pushed by main as one complete `KioskView`. No view ever carries a PIN; the one-time
//   password and QR payload exist only in the 'enrollment' view, which main replaces when the session ends.
// - Main validates every argument at runtime with `validateInvokeArgs` before any logic sees it.

/** A success value or an error as data (never a thrown string). */
export type Result<T, E extends { readonly code: string }> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
export const err = <E extends { readonly code: string }>(error: E): { readonly ok: false; readonly error: E } => ({
  ok: false,
  error,
});

/** Why the kiosk refused a card before asking for its PIN. */
export type CardRefusedReason = 'not-piv' | 'pin-blocked' | 'certificate-expired' | 'unreadable' | 'card-untrusted';

/**
 * Why the kiosk cannot serve anyone right now (the out-of-order screen for the next person):
 * - card-service: the PC/SC service is not running; no-reader: no card reader is attached;
 * - issuer-unreachable: the enrollment service does not answer (nobody is invited to spend a PIN try);
 * - host-lost: the page lost its kiosk host (produced by the host script in the page, never by main);
 * - configuration: the kiosk's configuration file is missing or wrong.
 */
export type OutOfOrderReason = 'card-service' | 'no-reader' | 'issuer-unreachable' | 'host-lost' | 'configuration';

/**
 * Why the phone-code screen asks again: unknown-code, expired-code, bad-format (the code typed); not-my-phone: the
 * person said the phone shown was not theirs, and it was turned away.
 */
export type UserCodeError = 'none' | 'unknown-code' | 'expired-code' | 'bad-format' | 'not-my-phone';

/**
 * What a phone reported about itself (number matching), each null when it did not say. Text from outside the
 * kiosk: the issuer allows only printable characters without bidi controls; render it as text, direction-isolated.
 */
export interface ReportedDevice {
  readonly platform: string | null;
  readonly model: string | null;
  readonly appName: string | null;
  readonly appVersion: string | null;
}

/** Whole screens, pushed by main. Discriminated on `screen`; the renderer switches on it exhaustively. */
/** Supervised issuance at the kiosk: the phone's key fingerprint and whether a help-desk agent affirmed it. */
export interface KioskAgentCheck {
  readonly keyFingerprint: string;
  readonly affirmed: boolean;
}

/** Why an enrollment's QR/OTP stopped working before the phone finished (see the `enrollment` view). */
export type EnrollmentStopped = 'expired' | 'too-many-tries' | 'not-affirmed';

export type KioskView =
  | {
      readonly screen: 'welcome';
      /** True when the demo virtual card can be inserted (`useVirtualCard`). */
      readonly virtualCardOffered: boolean;
    }
  | { readonly screen: 'out-of-order'; readonly reason: OutOfOrderReason }
  | {
      /**
       * A card from a finished, refused or cancelled session is still in the reader. Taking it out (or, in the
       * demo, `useVirtualCard`, which inserts the demo card afresh) starts over.
       */
      readonly screen: 'take-card-out';
      readonly virtualCardOffered: boolean;
    }
  | { readonly screen: 'reading-card' }
  | { readonly screen: 'card-refused'; readonly reason: CardRefusedReason }
  | {
      readonly screen: 'pin';
      /** From the PIV Authentication certificate's subject (common name); may be '' when the card has none. */
      readonly holderName: string;
      /** Tries left before the PIN blocks; null when the card does not say. */
      readonly triesLeft: number | null;
      /** True when one try is left: the renderer must ask for confirmation and send `confirmLastTry: true`. */
      readonly lastTryWarning: boolean;
      /**
       * wrong: the last PIN was wrong; signed-out: the issuer ended the sign-in (too many wrong phone codes, or
       * it ran out of time), so the PIN is asked again.
       */
      readonly lastAttempt: 'none' | 'wrong' | 'signed-out';
      /** True while main is verifying the PIN / signing in to the issuer. */
      readonly busy: boolean;
    }
  | { readonly screen: 'pin-blocked'; readonly helpUrl: string }
  | {
      readonly screen: 'user-code';
      readonly holderName: string;
      readonly error: UserCodeError;
      readonly busy: boolean;
    }
  | {
      /**
       * Before the phone gets anything: the phone the typed code belongs to and the two-digit number it shows. The
       * person continues (`confirmDevice`) only if it is their phone in their hand and the numbers match; otherwise
       * `denyDevice` turns the phone away.
       */
      readonly screen: 'confirm-device';
      readonly holderName: string;
      readonly device: ReportedDevice;
      /** Two digits, "00"–"99". */
      readonly matchNumber: string;
      /** True while the answer is with the issuer. */
      readonly busy: boolean;
    }
  | {
      readonly screen: 'enrollment';
      /** Text to render as the QR code the phone scans. */
      readonly qrPayload: string;
      /** The numeric one-time password, digits only; the renderer groups it for display. */
      readonly otp: string;
      /** ISO 8601 instant after which the QR/OTP no longer work (the renderer counts down to it). */
      readonly expiresAt: string;
      readonly helpUrl: string;
      /** True while a new QR/OTP is being requested (`renewEnrollment`). */
      readonly renewing: boolean;
      /** True once the phone has scanned the QR code (a password try reached the issuer): "now type the password". */
      readonly phoneSeen: boolean;
      /**
       * Supervised issuance: the phone's redeem waits for a help-desk agent to affirm its key. The fingerprint the
       * phone shows too (`A1B2-C3D4-E5F6-0718`), so the person can compare; `affirmed` once the agent did. Null
       * when the tenant does not supervise or the phone has not redeemed yet.
       */
      readonly agentCheck: KioskAgentCheck | null;
      /**
       * Why the QR/OTP stopped working, once they have: expired (its time ran out), too-many-tries (the password
       * was typed wrongly too often on the phone) or not-affirmed (it ran out while the phone waited for an agent
       * who never affirmed its key: nothing was issued); null while they work.
       */
      readonly stopped: EnrollmentStopped | null;
    }
  | {
      readonly screen: 'done';
      readonly holderName: string;
      /** When the new derived credential stops working (ISO 8601), when the issuer said. */
      readonly credentialExpiresAt: string | null;
    }
  | {
      readonly screen: 'issuer-unreachable';
      /** Seconds until main retries by itself; null when it will not (the person can cancel or remove the card). */
      readonly retryInSeconds: number | null;
      /** The issuer answered that it is busy (its database is down): nothing was lost, try again in a minute. */
      readonly busy: boolean;
    }
  | {
      readonly screen: 'still-there';
      /** Seconds before the session is wiped unless `stillHere()` is called. */
      readonly secondsLeft: number;
    };

export type KioskScreen = KioskView['screen'];

/** Static settings the renderer reads once at start. */
export interface KioskConfig {
  /** BCP 47 language tags the renderer offers, e.g. ['en', 'nl']. */
  readonly languages: readonly string[];
  readonly defaultLanguage: string;
  /** The tenant's help URL (shown on refusal/blocked/enrollment screens). */
  readonly helpUrl: string;
  /** The organisation's name shown on the welcome screen. */
  readonly displayName: string;
  /** The organisation's name per language tag, when the tenant gives one (the header follows the language). */
  readonly displayNames?: Readonly<Record<string, string>>;
  /** Who helps in person, shown after "Help desk:" (instead of a web address a person cannot open here). */
  readonly helpDesk?: { readonly phone?: string; readonly place?: string; readonly hours?: string };
  /**
   * The phone app people need, by name; with store links (or one download address), the welcome screen shows a QR
   * code for each. Never on the enrollment screen: its QR code must be the only one there.
   */
  readonly phoneApp?: {
    readonly name: string;
    readonly downloadUrl?: string;
    readonly storeLinks?: readonly { readonly store: 'app-store' | 'google-play'; readonly url: string }[];
  };
  /** The welcome screen's one line on what a derived credential is, per language tag (else the kiosk's own). */
  readonly whatIsDerivedCredential?: Readonly<Record<string, string>>;
  /** Idle seconds before the "Still there?" warning. */
  readonly idleSeconds: number;
}

export interface SubmitPinOptions {
  /** Must be true when the current 'pin' view has `lastTryWarning: true`, else the call is refused. */
  readonly confirmLastTry: boolean;
}

/**
 * Error codes an invoke call can resolve to. Outcomes a person must see (wrong PIN, unknown code, ...) are
 * NOT errors: they arrive as the next view. These codes are for the renderer's own bookkeeping.
 * - invalid-argument: the argument failed `validateInvokeArgs` (renderer bug or hostile page).
 * - not-now: the call does not fit the current screen (e.g. `submitPin` on the welcome screen) or a
 *   previous call for this card is still running; the view is unchanged.
 * - last-try-not-confirmed: `submitPin` on the last try without `confirmLastTry: true`; nothing sent to the card.
 * - virtual-card-unavailable: `useVirtualCard` when the host has no virtual card to offer.
 * - forbidden: the caller is not the kiosk page (wrong IPC sender, wrong secret or Origin).
 * - disconnected: the browser host's connection is gone (produced by the host script in the page).
 * - internal: anything else; details go to main's log, never to the page.
 */
export type KioskErrorCode =
  | 'invalid-argument'
  | 'not-now'
  | 'last-try-not-confirmed'
  | 'virtual-card-unavailable'
  | 'forbidden'
  | 'disconnected'
  | 'internal';

export interface KioskError {
  readonly code: KioskErrorCode;
  /** A short developer-facing hint; never contains a PIN, OTP or personal data. */
  readonly detail?: string;
}

export type KioskResult<T> = Promise<Result<T, KioskError>>;

/** The object at `window.kiosk`. */
export interface KioskApi {
  /**
   * Subscribes to views. The listener is called once with the current view soon after subscribing (asynchronously),
   * then on every change. Returns an unsubscribe function.
   */
  onView(listener: (view: KioskView) => void): () => void;
  /** `pin`: ASCII digits, 6–8 bytes. Main copies it and zero-fills its copy after VERIFY; the renderer zero-fills its own. */
  submitPin(pin: Uint8Array, options: SubmitPinOptions): KioskResult<void>;
  /** The code the phone shows, as typed (case and the separator are normalised by main). At most 16 characters. */
  submitUserCode(code: string): KioskResult<void>;
  /** 'confirm-device': this is my phone and the numbers match; approve it. */
  confirmDevice(): KioskResult<void>;
  /** 'confirm-device': not my phone; turn it away (its code stops working). */
  denyDevice(): KioskResult<void>;
  /** Requests a fresh QR/OTP for the current enrollment (after it expired, or on request). */
  renewEnrollment(): KioskResult<void>;
  /** Back to welcome; wipes the session. */
  cancel(): KioskResult<void>;
  /** Answers the "Still there?" warning. */
  stillHere(): KioskResult<void>;
  /** Any key or tap: resets the idle timer. The renderer throttles it (at most about once a second). */
  reportActivity(): KioskResult<void>;
  /** Inserts the demo virtual card (welcome view with `virtualCardOffered: true`). */
  useVirtualCard(): KioskResult<void>;
  getConfig(): KioskResult<KioskConfig>;
}

// ---------------------------------------------------------------------------------------------------------------
// Channel table: the one typed map both transports are built from.

export type KioskInvokeName = Exclude<keyof KioskApi, 'onView'>;
export type KioskInvokeArgs<K extends KioskInvokeName> = Parameters<KioskApi[K]>;
export type KioskInvokeValue<K extends KioskInvokeName> =
  Awaited<ReturnType<KioskApi[K]>> extends Result<infer T, KioskError> ? T : never;

/** Invoke channel names (Electron `ipcMain.handle` channel / WebSocket `call` name). */
export const KIOSK_INVOKE_CHANNELS = {
  submitPin: 'kiosk:submit-pin',
  submitUserCode: 'kiosk:submit-user-code',
  confirmDevice: 'kiosk:confirm-device',
  denyDevice: 'kiosk:deny-device',
  renewEnrollment: 'kiosk:renew-enrollment',
  cancel: 'kiosk:cancel',
  stillHere: 'kiosk:still-here',
  reportActivity: 'kiosk:report-activity',
  useVirtualCard: 'kiosk:use-virtual-card',
  getConfig: 'kiosk:get-config',
} as const satisfies { readonly [K in KioskInvokeName]: `kiosk:${string}` };

/** Events pushed from main to the page, with their payload types. */
export interface KioskPushedEvents {
  view: KioskView;
}
export const KIOSK_EVENT_CHANNELS = {
  view: 'kiosk:view',
} as const satisfies { readonly [K in keyof KioskPushedEvents]: `kiosk:${string}` };

export const KIOSK_INVOKE_NAMES = Object.keys(KIOSK_INVOKE_CHANNELS) as readonly KioskInvokeName[];

export function isKioskInvokeName(name: unknown): name is KioskInvokeName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(KIOSK_INVOKE_CHANNELS, name);
}

/** What main implements: the same calls, already validated, plus who is calling is no longer a question. */
export type KioskHandlers = {
  readonly [K in KioskInvokeName]: (...args: KioskInvokeArgs<K>) => KioskResult<KioskInvokeValue<K>>;
};

// ---------------------------------------------------------------------------------------------------------------
// Runtime validators. Main runs these on every call before any handler sees the arguments.

export const PIN_MIN_LENGTH = 6;
export const PIN_MAX_LENGTH = 8;
export const USER_CODE_MAX_LENGTH = 16;

const invalid = (detail: string): { readonly ok: false; readonly error: KioskError } =>
  err({ code: 'invalid-argument', detail });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** True for a Uint8Array of 6–8 ASCII digits ('0'..'9'). Checks the bytes without copying them. */
export function isPinBytes(value: unknown): value is Uint8Array {
  if (!(value instanceof Uint8Array)) return false;
  if (value.length < PIN_MIN_LENGTH || value.length > PIN_MAX_LENGTH) return false;
  for (const byte of value) if (byte < 0x30 || byte > 0x39) return false;
  return true;
}

function validateSubmitPinOptions(value: unknown): value is SubmitPinOptions {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'confirmLastTry' && typeof value.confirmLastTry === 'boolean';
}

type ArgsValidator<K extends KioskInvokeName> = (args: readonly unknown[]) => Result<KioskInvokeArgs<K>, KioskError>;

function noArgs<K extends KioskInvokeName>(): ArgsValidator<K> {
  return (args) => (args.length === 0 ? ok([] as unknown as KioskInvokeArgs<K>) : invalid('expects no arguments'));
}

const validators: { readonly [K in KioskInvokeName]: ArgsValidator<K> } = {
  submitPin: (args) => {
    if (args.length !== 2) return invalid('expects (pin, options)');
    const [pin, options] = args;
    // The detail never echoes the value: it may be a PIN.
    if (!isPinBytes(pin))
      return invalid(`pin must be a Uint8Array of ${PIN_MIN_LENGTH}-${PIN_MAX_LENGTH} ASCII digits`);
    if (!validateSubmitPinOptions(options)) return invalid('options must be { confirmLastTry: boolean }');
    return ok([pin, { confirmLastTry: options.confirmLastTry }]);
  },
  submitUserCode: (args) => {
    if (args.length !== 1) return invalid('expects (code)');
    const [code] = args;
    if (typeof code !== 'string') return invalid('code must be a string');
    if (code.length > USER_CODE_MAX_LENGTH) return invalid(`code must be at most ${USER_CODE_MAX_LENGTH} characters`);
    return ok([code]);
  },
  confirmDevice: noArgs(),
  denyDevice: noArgs(),
  renewEnrollment: noArgs(),
  cancel: noArgs(),
  stillHere: noArgs(),
  reportActivity: noArgs(),
  useVirtualCard: noArgs(),
  getConfig: noArgs(),
};

/** Validates an invoke call's arguments (an untrusted array from a transport). */
export function validateInvokeArgs<K extends KioskInvokeName>(
  name: K,
  args: readonly unknown[],
): Result<KioskInvokeArgs<K>, KioskError> {
  const validate = validators[name] as ArgsValidator<K>;
  return validate(args);
}

/** For the exhaustive `switch` on unions (views, states, events): a compile error when a case is missing. */
// The value is not printed: it may be a view or state holding an OTP.
export function assertNever(_value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}`);
}

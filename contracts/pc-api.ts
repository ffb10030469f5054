// "Set up this PC" (issue 14): the desktop app's page ↔ main contract, `window.thisPc`, modelled on kiosk-api.ts and
// console-api.ts (same Result, same PIN rules, one channel table, arguments validated in main, views checked in the
// page). The card PIN crosses it once, as bytes, and main zero-fills its copy after VERIFY; the token PIN, the
// issuer session and the keys never cross it. Every fault is a kind the page says as a sentence in the person's
// language (renderer/pc/); the English sentences of main/this-pc/pc-errors.ts stay in main's log and the CLI.
import { err, isPinBytes, ok, PIN_MAX_LENGTH, PIN_MIN_LENGTH } from './kiosk-api.ts';
import type { Result, SubmitPinOptions } from './kiosk-api.ts';

/** What the person asked for: a first credential, or a new one in place of the installed one. */
export const PC_PURPOSES = ['enroll', 'renew'] as const;
export type PcPurpose = (typeof PC_PURPOSES)[number];

/** The credential this PC holds, as the status view shows it (dates are ISO 8601 instants). */
export interface PcInstalled {
  readonly serialNumberHex: string;
  /** tpm: the key was made in this PC's TPM; software: a software token (where the organisation allows it). */
  readonly protection: 'tpm' | 'software';
  readonly notAfter: string;
  readonly renewalDueAt: string;
  /** null: the key store did not answer just now (busy), so whether it is still there is unknown. */
  readonly inStore: boolean | null;
}

/** The steps after the PIN, in order; the page shows one sentence each ("Creating a key in this PC's security chip…"). */
export const PC_WORK_STEPS = ['signing-in', 'creating-key', 'issuing', 'installing', 'revoking'] as const;
export type PcWorkStep = (typeof PC_WORK_STEPS)[number];

/**
 * Why a step stopped, each its own sentence on the page. Wrong PINs do not end here: the PIN screen asks again.
 * - no-tpm: no TPM (or no key store at all) answers; tpm-busy: it answered busy; token-pin-wrong: the key store
 *   refused the PIN this app keeps for it; store-failed: anything else the key store refused;
 * - card-removed, card-refused (not a PIV card this app can use), pin-blocked, card-error;
 * - issuer-unreachable; software-key-refused (the organisation allows TPM keys only); issuer-refused (any other
 *   refusal, `issuerSentence` carries the issuer's own English sentence for the help desk);
 * - install-failed-revoked: the certificate could not be installed and was revoked, its key deleted;
 *   install-failed-not-revoked: the same, but the issuer did not confirm the revocation (tell the help desk);
 * - not-set-up: renew on a PC that holds nothing;
 * - app-stopped: made in the page when the app's host is gone (main/browser-host/pc-host-client.ts).
 */
export const PC_FAULTS = [
  'no-tpm',
  'tpm-busy',
  'token-pin-wrong',
  'store-failed',
  'card-removed',
  'card-refused',
  'pin-blocked',
  'card-error',
  'issuer-unreachable',
  'software-key-refused',
  'issuer-refused',
  'install-failed-revoked',
  'install-failed-not-revoked',
  'not-set-up',
  'app-stopped',
  'another-run',
] as const;
export type PcFault = (typeof PC_FAULTS)[number];

export type PcView =
  /** What this PC holds: nothing yet ("Set up this PC"), or its credential (Renew, Remove). */
  | { readonly screen: 'status'; readonly installed: PcInstalled | null }
  | { readonly screen: 'insert-card'; readonly purpose: PcPurpose }
  | { readonly screen: 'reading-card'; readonly purpose: PcPurpose }
  | {
      /** The kiosk's PIN view fields (kiosk-api.ts), so the page uses the kiosk's own PIN entry. */
      readonly screen: 'pin';
      readonly purpose: PcPurpose;
      readonly holderName: string;
      readonly triesLeft: number | null;
      readonly lastTryWarning: boolean;
      readonly lastAttempt: 'none' | 'wrong';
      readonly busy: boolean;
    }
  | {
      readonly screen: 'working';
      readonly purpose: PcPurpose | 'remove';
      readonly step: PcWorkStep;
      /** The window was closed mid-step: it stays until the step ends, then closes itself (main/electron). */
      readonly closing?: true;
    }
  | {
      readonly screen: 'done';
      readonly outcome: 'set-up' | 'renewed' | 'removed';
      /** The new credential (set-up, renewed); null after removal. */
      readonly installed: PcInstalled | null;
      /** renewed: the old credential is not revoked yet (the next renew or remove retries). */
      readonly oldCredentialLeft: boolean;
      /** Keys an earlier, cut-off attempt left without a certificate, removed by this run (absent: none). */
      readonly unfinishedKeysRemoved?: number;
    }
  | {
      readonly screen: 'failed';
      readonly purpose: PcPurpose | 'remove';
      readonly fault: PcFault;
      /** issuer-refused only: the issuer's own sentence (English, from contracts/issuer-errors.ts). */
      readonly issuerSentence?: string;
    };
export type PcScreen = PcView['screen'];

export interface PcCallError {
  /** forbidden: the caller is not the "Set up this PC" page in its own window (Electron's pc-ipc.ts); told no more. */
  readonly code: 'invalid-argument' | 'not-now' | 'last-try-not-confirmed' | 'disconnected' | 'internal' | 'forbidden';
  /** For developers; never a PIN. */
  readonly detail?: string;
}
export type PcResult<T> = Promise<Result<T, PcCallError>>;

/** The object at `window.thisPc`. */
export interface PcApi {
  onView(listener: (view: PcView) => void): () => void;
  /** 'status' (or a finished / failed screen): set up this PC, or renew its credential; asks for the card next. */
  start(purpose: PcPurpose): PcResult<void>;
  /** `pin`: ASCII digits, 6–8 bytes; main zero-fills its copy after VERIFY. One try left needs confirmLastTry. */
  submitPin(pin: Uint8Array, options: SubmitPinOptions): PcResult<void>;
  /** 'status' with a credential, after the page's own confirmation: revoke it and delete key and certificate. */
  remove(): PcResult<void>;
  /** Back to the status screen (from the card, PIN, done and failed screens; not while a step runs). */
  cancel(): PcResult<void>;
}

export type PcInvokeName = Exclude<keyof PcApi, 'onView'>;
export type PcInvokeArgs<K extends PcInvokeName> = Parameters<PcApi[K]>;
export type PcInvokeValue<K extends PcInvokeName> =
  Awaited<ReturnType<PcApi[K]>> extends Result<infer T, PcCallError> ? T : never;

export const PC_INVOKE_CHANNELS = {
  start: 'pc:start',
  submitPin: 'pc:submit-pin',
  remove: 'pc:remove',
  cancel: 'pc:cancel',
} as const satisfies { readonly [K in PcInvokeName]: `pc:${string}` };

/** The channel Electron's main pushes every view on (`webContents.send`; the browser host's socket needs no name). */
export const PC_EVENT_CHANNELS = { view: 'pc:view' } as const satisfies { readonly view: `pc:${string}` };

export const PC_INVOKE_NAMES = Object.keys(PC_INVOKE_CHANNELS) as readonly PcInvokeName[];

export function isPcInvokeName(name: unknown): name is PcInvokeName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(PC_INVOKE_CHANNELS, name);
}

export type PcHandlers = {
  readonly [K in PcInvokeName]: (...args: PcInvokeArgs<K>) => PcResult<PcInvokeValue<K>>;
};

// ---------------------------------------------------------------------------------------------------------------
// Runtime validation: main checks every call's arguments (the page is untrusted); the page checks every view main
// pushes before it renders it (a host of another version, a broken frame: the page shows nothing it cannot name).

const invalid = (detail: string): { readonly ok: false; readonly error: PcCallError } =>
  err({ code: 'invalid-argument', detail });

type ArgsValidator<K extends PcInvokeName> = (args: readonly unknown[]) => Result<PcInvokeArgs<K>, PcCallError>;

const noArgs: ArgsValidator<'remove' | 'cancel'> = (args) =>
  args.length === 0 ? ok([]) : invalid('expects no arguments');

const validators: { readonly [K in PcInvokeName]: ArgsValidator<K> } = {
  start: (args) => {
    const [purpose] = args;
    if (args.length !== 1 || !PC_PURPOSES.some((known) => known === purpose))
      return invalid(`purpose must be one of ${PC_PURPOSES.join(', ')}`);
    return ok([purpose as PcPurpose]);
  },
  submitPin: (args) => {
    const [pin, options] = args;
    // The detail never echoes the value: it may be a PIN.
    if (args.length !== 2 || !isPinBytes(pin))
      return invalid(`pin must be a Uint8Array of ${PIN_MIN_LENGTH}-${PIN_MAX_LENGTH} ASCII digits`);
    if (typeof options !== 'object' || options === null || typeof Reflect.get(options, 'confirmLastTry') !== 'boolean')
      return invalid('options must be { confirmLastTry: boolean }');
    return ok([pin, { confirmLastTry: Reflect.get(options, 'confirmLastTry') === true }]);
  },
  remove: noArgs,
  cancel: noArgs,
};

export function validatePcArgs<K extends PcInvokeName>(
  name: K,
  args: readonly unknown[],
): Result<PcInvokeArgs<K>, PcCallError> {
  const validate = validators[name] as ArgsValidator<K>;
  return validate(args);
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const SERIAL = /^[0-9a-f]{2,40}$/;
const isOneOf = <T extends string>(list: readonly T[], value: unknown): value is T =>
  list.some((known) => known === value);
const field = (value: object, name: string): unknown => Reflect.get(value, name);

function isInstalled(value: unknown): value is PcInstalled {
  if (typeof value !== 'object' || value === null) return false;
  const inStore = field(value, 'inStore');
  return (
    typeof field(value, 'serialNumberHex') === 'string' &&
    SERIAL.test(String(field(value, 'serialNumberHex'))) &&
    isOneOf(['tpm', 'software'], field(value, 'protection')) &&
    ISO_INSTANT.test(String(field(value, 'notAfter'))) &&
    ISO_INSTANT.test(String(field(value, 'renewalDueAt'))) &&
    (inStore === null || typeof inStore === 'boolean')
  );
}

const isPurpose = (value: unknown): value is PcPurpose => isOneOf(PC_PURPOSES, value);
const isPurposeOrRemove = (value: unknown): boolean => isPurpose(value) || value === 'remove';

const isUnfinishedKeysRemoved = (value: unknown): boolean =>
  value === undefined || (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1000);

/** The page's check of a pushed view: the screen and every field it renders. */
export function isPcView(value: unknown): value is PcView {
  if (typeof value !== 'object' || value === null) return false;
  const get = (name: string): unknown => field(value, name);
  switch (get('screen')) {
    case 'status':
      return get('installed') === null || isInstalled(get('installed'));
    case 'insert-card':
    case 'reading-card':
      return isPurpose(get('purpose'));
    case 'pin': {
      const tries = get('triesLeft');
      return (
        isPurpose(get('purpose')) &&
        typeof get('holderName') === 'string' &&
        String(get('holderName')).length <= 200 &&
        (tries === null || (typeof tries === 'number' && Number.isInteger(tries) && tries >= 0 && tries <= 15)) &&
        typeof get('lastTryWarning') === 'boolean' &&
        isOneOf(['none', 'wrong'], get('lastAttempt')) &&
        typeof get('busy') === 'boolean'
      );
    }
    case 'working':
      return (
        isPurposeOrRemove(get('purpose')) &&
        isOneOf(PC_WORK_STEPS, get('step')) &&
        (get('closing') === undefined || get('closing') === true)
      );
    case 'done':
      return (
        isOneOf(['set-up', 'renewed', 'removed'], get('outcome')) &&
        (get('installed') === null || isInstalled(get('installed'))) &&
        typeof get('oldCredentialLeft') === 'boolean' &&
        isUnfinishedKeysRemoved(get('unfinishedKeysRemoved'))
      );
    case 'failed': {
      const sentence = get('issuerSentence');
      return (
        isPurposeOrRemove(get('purpose')) &&
        isOneOf(PC_FAULTS, get('fault')) &&
        (sentence === undefined || (typeof sentence === 'string' && sentence.length <= 500))
      );
    }
    default:
      return false;
  }
}

// The help-desk agent console's page ↔ main contract (issue 13): `window.agentConsole`, the views main pushes, the
// channel table both transports are built from, and runtime validation of every call's arguments. Modelled on
// kiosk-api.ts (same Result, same PIN rules). The agent's session token never crosses it: main holds it and calls
// the issuer; the page gets data and refusals as kinds it turns into sentences in the agent's language.
import type { AgentKiosk, AgentRole, AuditPage, PersonLookup, QueueEntry, RevocationRequestView } from './agent-api.ts';
import { AUDIT_FILTER_TEXT_MAX, AUDIT_OUTCOMES } from './agent-api.ts';
import { KEY_FINGERPRINT_INPUT_PATTERN } from './key-fingerprint.ts';
import { err, isPinBytes, ok, PIN_MAX_LENGTH, PIN_MIN_LENGTH } from './kiosk-api.ts';
import type { Result } from './kiosk-api.ts';
import { OPAQUE_ID_PATTERN } from './qr-payload.ts';

/** Why the console shows its lock screen ("insert your card"). */
export type ConsoleLockReason = 'start' | 'card-removed' | 'session-expired' | 'signed-out';

/** Why a card could not sign in (the page says each in a sentence). */
export type ConsoleSignInRefusal =
  | 'no-role' // a card the issuer knows no agent role for
  | 'card-not-trusted' // not a PIV card the issuer trusts (revoked, expired, unknown issuer)
  | 'card-unreadable'
  | 'pin-blocked'
  | 'issuer-unreachable';

export type ConsoleView =
  | { readonly screen: 'locked'; readonly reason: ConsoleLockReason }
  | { readonly screen: 'reading-card' }
  | {
      readonly screen: 'pin';
      readonly holderName: string;
      readonly triesLeft: number | null;
      readonly wrongPin: boolean;
      readonly busy: boolean;
    }
  | { readonly screen: 'sign-in-refused'; readonly reason: ConsoleSignInRefusal }
  | {
      readonly screen: 'signed-in';
      readonly agent: { readonly name: string; readonly roles: readonly AgentRole[] };
      readonly queue: ConsoleQueue;
      readonly kiosks: ConsoleKiosks;
    };

/**
 * The live queue as main follows it (GET /agent/queue/events with the agent's token, on main's side): `connecting`
 * until the first answer, `live` while the stream is open, `interrupted` while main reconnects (the entries are the
 * last ones seen). Only enrollments still in progress (QUEUE_ACTIVE_STEPS): done and failed ones drop off.
 */
export interface ConsoleQueue {
  readonly state: 'connecting' | 'live' | 'interrupted';
  readonly entries: readonly QueueEntry[];
}

/**
 * The kiosks as main reads them (GET /agent/kiosks every KIOSK_POLL_MS while signed in; watching is not activity, so
 * it neither renews the session nor holds off the idle lock): `loading` until the first answer, `live` after each
 * answer, `unavailable` while the last read failed (the kiosks are the last ones read, `checkedAt` when).
 */
export interface ConsoleKiosks {
  readonly state: 'loading' | 'live' | 'unavailable';
  readonly kiosks: readonly AgentKiosk[];
  /** When the issuer last answered (ISO 8601), null before. */
  readonly checkedAt: string | null;
}

/**
 * A re-issued code as the one renderer view that shows it gets it: the QR payload, the one-time password and when
 * they die. It is the answer to the agent's own call, never in a pushed view, so no other screen or window sees it;
 * the view drops it when it unmounts (leaving the screen, the card pulled, the lock).
 */
export interface ConsoleReissuedCode {
  readonly enrollmentId: string;
  readonly qrPayload: string;
  readonly otp: string;
  /** ISO 8601: when this password and QR stop working. */
  readonly expiresAt: string;
}

/** The queue steps of an enrollment still in progress (agent-api.ts QueueEntry.step); any other step drops off. */
export const QUEUE_ACTIVE_STEPS: readonly string[] = ['awaiting-phone', 'phone-seen', 'awaiting-affirmation'];

/**
 * An issuer refusal as the agent is told it (never the raw code): forbidden (403: your role cannot do this),
 * conflict (409: someone else acted first, or the state does not allow it), not-found, invalid (the note, reason or
 * search was refused), own-card (an agent cannot act on their own card), same-requester (four eyes),
 * enrollment-burned (too many wrong passwords), enrollment-finished (the phone already got its credential),
 * card-revoked (the person's card was revoked), session-ended (the console locks), unreachable (the issuer did not answer).
 */
export const CONSOLE_REFUSALS = [
  'forbidden',
  'conflict',
  'not-found',
  'invalid',
  'own-card',
  'same-requester',
  'enrollment-burned',
  'enrollment-finished',
  'card-revoked',
  'session-ended',
  'unreachable',
] as const;
export type ConsoleRefusal = (typeof CONSOLE_REFUSALS)[number];

export interface ConsoleError {
  readonly code: 'refused' | 'invalid-argument' | 'disconnected' | 'internal';
  readonly refusal?: ConsoleRefusal;
  readonly detail?: string;
}

export type ConsoleResult<T> = Promise<Result<T, ConsoleError>>;

/** What a revocation or a four-eyes approval came to: done now, or sent for another agent's approval. */
export type ConsoleRevocationOutcome = 'revoked' | 'sent-for-approval';

/**
 * The audit screen's filter as the agent types it: each field '' when not filtered on. `from` and `to` are days
 * (YYYY-MM-DD, UTC), both inclusive: main asks the issuer for `to`'s next day as the exclusive end.
 */
export interface ConsoleAuditFilter {
  readonly agent: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: '' | (typeof AUDIT_OUTCOMES)[number];
  readonly from: string;
  readonly to: string;
}

/** Where the next (older) page of an audit search starts: the previous page's `nextBefore` and `nextCursor`. */
export interface ConsoleAuditOlder {
  readonly before: number;
  readonly cursor: string | null;
}

export const AUDIT_EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];
/** The most rows one export holds (the newest ones); past it the agent is told to narrow the filter. */
export const AUDIT_EXPORT_MAX_ROWS = 100_000;

/** An export of the current filter, built by main (main/console/audit-export.ts); the page saves it as a download. */
export interface ConsoleAuditExport {
  readonly fileName: string;
  readonly mediaType: string;
  readonly text: string;
  readonly rows: number;
  /** More rows matched than AUDIT_EXPORT_MAX_ROWS: the file holds the newest ones only. */
  readonly truncated: boolean;
}

/** The object at `window.agentConsole`. */
export interface ConsoleApi {
  onView(listener: (view: ConsoleView) => void): () => void;
  /** `pin`: ASCII digits, 6–8 bytes (as kiosk-api's submitPin); main zero-fills its copy after VERIFY. */
  submitPin(pin: Uint8Array): ConsoleResult<void>;
  /** Signs out on the issuer and locks. */
  signOut(): ConsoleResult<void>;
  searchPeople(query: string): ConsoleResult<PersonLookup>;
  suspendCredential(serialNumberHex: string, note: string): ConsoleResult<void>;
  resumeCredential(serialNumberHex: string, note: string): ConsoleResult<void>;
  revokeCredential(serialNumberHex: string, reason: string, note: string): ConsoleResult<ConsoleRevocationOutcome>;
  /** A leaver: revoke every derived credential of the person's card (under four eyes: a request). */
  terminatePerson(cardId: string, reason: string, note: string): ConsoleResult<ConsoleRevocationOutcome>;
  revocationRequests(): ConsoleResult<readonly RevocationRequestView[]>;
  approveRevocation(requestId: string, note: string): ConsoleResult<void>;
  rejectRevocation(requestId: string, note: string): ConsoleResult<void>;
  /** Supervised issuance: the fingerprint the agent compared with the one the person's phone shows, and a note. */
  affirmEnrollment(enrollmentId: string, fingerprint: string, note: string): ConsoleResult<void>;
  /**
   * The audit log (auditor, admin): one page, newest first; `older`: null for a new search (one audit row at the
   * issuer), else the previous page's `nextBefore` and `nextCursor`, so its older pages are not audited again.
   */
  searchAudit(filter: ConsoleAuditFilter, older: ConsoleAuditOlder | null): ConsoleResult<AuditPage>;
  /** Every row of the filter (at most AUDIT_EXPORT_MAX_ROWS), as JSON lines or CSV. */
  exportAudit(filter: ConsoleAuditFilter, format: AuditExportFormat): ConsoleResult<ConsoleAuditExport>;
  /** A new QR + one-time password for a person's enrollment waiting for its phone (the old password dies), a note. */
  reissueCode(enrollmentId: string, note: string): ConsoleResult<ConsoleReissuedCode>;
}

export type ConsoleInvokeName = Exclude<keyof ConsoleApi, 'onView'>;
export type ConsoleInvokeArgs<K extends ConsoleInvokeName> = Parameters<ConsoleApi[K]>;
export type ConsoleInvokeValue<K extends ConsoleInvokeName> =
  Awaited<ReturnType<ConsoleApi[K]>> extends Result<infer T, ConsoleError> ? T : never;

export const CONSOLE_INVOKE_CHANNELS = {
  submitPin: 'console:submit-pin',
  signOut: 'console:sign-out',
  searchPeople: 'console:search-people',
  suspendCredential: 'console:suspend-credential',
  resumeCredential: 'console:resume-credential',
  revokeCredential: 'console:revoke-credential',
  terminatePerson: 'console:terminate-person',
  revocationRequests: 'console:revocation-requests',
  approveRevocation: 'console:approve-revocation',
  rejectRevocation: 'console:reject-revocation',
  affirmEnrollment: 'console:affirm-enrollment',
  searchAudit: 'console:search-audit',
  exportAudit: 'console:export-audit',
  reissueCode: 'console:reissue-code',
} as const satisfies { readonly [K in ConsoleInvokeName]: `console:${string}` };

/** What main pushes to the console window (Electron IPC; the browser host sends views over its socket). */
export const CONSOLE_EVENT_CHANNELS = { view: 'console:view' } as const;

export const CONSOLE_INVOKE_NAMES = Object.keys(CONSOLE_INVOKE_CHANNELS) as readonly ConsoleInvokeName[];

export function isConsoleInvokeName(name: unknown): name is ConsoleInvokeName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(CONSOLE_INVOKE_CHANNELS, name);
}

export type ConsoleHandlers = {
  readonly [K in ConsoleInvokeName]: (...args: ConsoleInvokeArgs<K>) => ConsoleResult<ConsoleInvokeValue<K>>;
};

// ---------------------------------------------------------------------------------------------------------------
// Runtime validators: the page is untrusted. Bounds are the issuer's own (agent-api.ts) so a value the issuer would
// refuse is refused here first with the same limit; the issuer checks again.

export const SEARCH_MIN_LENGTH = 2;
export const SEARCH_MAX_LENGTH = 128;
export const NOTE_MAX_LENGTH = 200;
const SERIAL_PATTERN = /^[0-9a-f]{1,80}$/;
/** Request, card and enrollment ids, audit page cursors: the issuer's opaque ids (base64url). */
const REQUEST_ID_PATTERN = new RegExp(OPAQUE_ID_PATTERN);
const REASON_PATTERN = /^[A-Za-z]{1,32}$/;
const FINGERPRINT_PATTERN = new RegExp(KEY_FINGERPRINT_INPUT_PATTERN);

const invalid = (detail: string): { readonly ok: false; readonly error: ConsoleError } =>
  err({ code: 'invalid-argument', detail });

const isText = (value: unknown, min: number, max: number): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max;

type ArgsValidator<K extends ConsoleInvokeName> = (
  args: readonly unknown[],
) => Result<ConsoleInvokeArgs<K>, ConsoleError>;

function noArgs<K extends ConsoleInvokeName>(): ArgsValidator<K> {
  return (args) => (args.length === 0 ? ok([] as unknown as ConsoleInvokeArgs<K>) : invalid('expects no arguments'));
}

function serialAndNote<K extends 'suspendCredential' | 'resumeCredential'>(): ArgsValidator<K> {
  return (args) => {
    const [serial, note] = args;
    if (args.length !== 2 || typeof serial !== 'string' || !SERIAL_PATTERN.test(serial))
      return invalid('expects (serial: lower-case hex, note)');
    if (!isText(note, 1, NOTE_MAX_LENGTH)) return invalid(`note must be 1-${NOTE_MAX_LENGTH} characters`);
    return ok([serial, note] as ConsoleInvokeArgs<K>);
  };
}

function requestAndNote<K extends 'approveRevocation' | 'rejectRevocation'>(): ArgsValidator<K> {
  return (args) => {
    const [requestId, note] = args;
    if (args.length !== 2 || typeof requestId !== 'string' || !REQUEST_ID_PATTERN.test(requestId))
      return invalid('expects (requestId, note)');
    if (!isText(note, 1, NOTE_MAX_LENGTH)) return invalid(`note must be 1-${NOTE_MAX_LENGTH} characters`);
    return ok([requestId, note] as ConsoleInvokeArgs<K>);
  };
}

const AUDIT_DAY = /^\d{4}-\d{2}-\d{2}$/;
const AUDIT_ACTION = /^[a-z0-9-]{0,64}$/;

/** The audit filter's shape and bounds (the issuer checks each value again, and says which one it refuses). */
export function isConsoleAuditFilter(value: unknown): value is ConsoleAuditFilter {
  if (typeof value !== 'object' || value === null) return false;
  const fields: Record<string, unknown> = { ...value };
  const keys = Object.keys(fields).sort().join(',');
  if (keys !== 'action,agent,from,outcome,target,to') return false;
  const { agent, action, target, outcome, from, to } = fields;
  return (
    isText(agent, 0, AUDIT_FILTER_TEXT_MAX) &&
    isText(target, 0, AUDIT_FILTER_TEXT_MAX) &&
    typeof action === 'string' &&
    AUDIT_ACTION.test(action) &&
    (outcome === '' || AUDIT_OUTCOMES.some((known) => known === outcome)) &&
    typeof from === 'string' &&
    (from === '' || AUDIT_DAY.test(from)) &&
    typeof to === 'string' &&
    (to === '' || AUDIT_DAY.test(to))
  );
}

/** An older page's start as the page sends it back: the issuer's `nextBefore` and `nextCursor` (it verifies the cursor). */
function isConsoleAuditOlder(value: unknown): value is ConsoleAuditOlder {
  if (typeof value !== 'object' || value === null) return false;
  const fields: Record<string, unknown> = { ...value };
  if (Object.keys(fields).sort().join(',') !== 'before,cursor') return false;
  const { before, cursor } = fields;
  return (
    typeof before === 'number' &&
    Number.isSafeInteger(before) &&
    before >= 1 &&
    (cursor === null || (typeof cursor === 'string' && REQUEST_ID_PATTERN.test(cursor)))
  );
}

const AUDIT_FILTER_RULE =
  'filter: { agent, action, target, outcome, from, to } (text, event name, success|failure, days)';

const validators: { readonly [K in ConsoleInvokeName]: ArgsValidator<K> } = {
  submitPin: (args) => {
    const [pin] = args;
    // The detail never echoes the value: it may be a PIN.
    if (args.length !== 1 || !isPinBytes(pin))
      return invalid(`pin must be a Uint8Array of ${PIN_MIN_LENGTH}-${PIN_MAX_LENGTH} ASCII digits`);
    return ok([pin]);
  },
  signOut: noArgs(),
  searchPeople: (args) => {
    const [query] = args;
    if (args.length !== 1 || !isText(query, SEARCH_MIN_LENGTH, SEARCH_MAX_LENGTH))
      return invalid(`query must be ${SEARCH_MIN_LENGTH}-${SEARCH_MAX_LENGTH} characters`);
    return ok([query]);
  },
  suspendCredential: serialAndNote(),
  resumeCredential: serialAndNote(),
  revokeCredential: (args) => {
    const [serial, reason, note] = args;
    if (args.length !== 3 || typeof serial !== 'string' || !SERIAL_PATTERN.test(serial))
      return invalid('expects (serial, reason, note)');
    if (typeof reason !== 'string' || !REASON_PATTERN.test(reason)) return invalid('reason must be a CRLReason name');
    if (!isText(note, 1, NOTE_MAX_LENGTH)) return invalid(`note must be 1-${NOTE_MAX_LENGTH} characters`);
    return ok([serial, reason, note]);
  },
  terminatePerson: (args) => {
    const [cardId, reason, note] = args;
    if (args.length !== 3 || typeof cardId !== 'string' || !REQUEST_ID_PATTERN.test(cardId))
      return invalid('expects (cardId, reason, note)');
    if (typeof reason !== 'string' || !REASON_PATTERN.test(reason)) return invalid('reason must be a CRLReason name');
    if (!isText(note, 1, NOTE_MAX_LENGTH)) return invalid(`note must be 1-${NOTE_MAX_LENGTH} characters`);
    return ok([cardId, reason, note]);
  },
  revocationRequests: noArgs(),
  approveRevocation: requestAndNote(),
  rejectRevocation: requestAndNote(),
  affirmEnrollment: (args) => {
    const [enrollmentId, fingerprint, note] = args;
    if (args.length !== 3 || typeof enrollmentId !== 'string' || !REQUEST_ID_PATTERN.test(enrollmentId))
      return invalid('expects (enrollmentId, fingerprint, note)');
    if (typeof fingerprint !== 'string' || !FINGERPRINT_PATTERN.test(fingerprint))
      return invalid('fingerprint must be four groups of four hex digits');
    if (!isText(note, 1, NOTE_MAX_LENGTH)) return invalid(`note must be 1-${NOTE_MAX_LENGTH} characters`);
    return ok([enrollmentId, fingerprint, note]);
  },
  searchAudit: (args) => {
    const [filter, older] = args;
    if (args.length !== 2 || !isConsoleAuditFilter(filter)) return invalid(AUDIT_FILTER_RULE);
    if (older !== null && !isConsoleAuditOlder(older))
      return invalid("older must be null or { before: a positive integer, cursor: null or the issuer's page cursor }");
    return ok([filter, older]);
  },
  exportAudit: (args) => {
    const [filter, format] = args;
    if (args.length !== 2 || !isConsoleAuditFilter(filter)) return invalid(AUDIT_FILTER_RULE);
    const known = AUDIT_EXPORT_FORMATS.find((candidate) => candidate === format);
    if (known === undefined) return invalid(`format must be one of: ${AUDIT_EXPORT_FORMATS.join(', ')}`);
    return ok([filter, known]);
  },
  reissueCode: (args) => {
    const [enrollmentId, note] = args;
    if (args.length !== 2 || typeof enrollmentId !== 'string' || !REQUEST_ID_PATTERN.test(enrollmentId))
      return invalid('expects (enrollmentId, note)');
    if (!isText(note, 1, NOTE_MAX_LENGTH)) return invalid(`note must be 1-${NOTE_MAX_LENGTH} characters`);
    return ok([enrollmentId, note]);
  },
};

export function validateConsoleArgs<K extends ConsoleInvokeName>(
  name: K,
  args: readonly unknown[],
): Result<ConsoleInvokeArgs<K>, ConsoleError> {
  const validate = validators[name] as ArgsValidator<K>;
  return validate(args);
}

/**
 * The RFC 5280 CRLReason names the console offers, most used first (the one home of the names and codes is
 * issuer/lifecycle/revocation-reason.ts, which checks the name again; certificateHold is "suspend", cACompromise is
 * the issuer's own business). A unit test keeps this list inside the issuer's.
 */
export const CONSOLE_REVOCATION_REASONS = [
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
  'unspecified',
] as const;

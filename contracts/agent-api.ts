// The help-desk agent console's HTTP contract (issue 13, issuer side): the roles, and the TypeBox schemas of every
// agent route's body and answer. The route table (issuer-routes.ts) pairs them with methods and paths. Agent calls
// carry `Authorization: Bearer <agent session token>` (from POST /agent/sign-in, PKI-AUTH with the agent's card).
import Type from 'typebox';
import type { Static } from 'typebox';
import { OpaqueId } from './issuer-api.ts';
import { KEY_FINGERPRINT_INPUT_PATTERN } from './key-fingerprint.ts';

/**
 * What the tenant lets a card do at the console (issuer/agent/agent-roles.ts decides which action needs which):
 * helpdesk (look up, suspend/resume/revoke, re-issue, supervise), approver (also decides four-eyes revocations),
 * auditor (reads only), admin (roles and tenant settings).
 */
export const AGENT_ROLES = ['helpdesk', 'approver', 'auditor', 'admin'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

/** How a role assignment names a card: its UUID, its FASC-N (hex) or its PIV Authentication certificate's subject DN. */
export const AGENT_IDENTITY_KINDS = ['uuid', 'fascn', 'subject'] as const;
export type AgentIdentityKind = (typeof AGENT_IDENTITY_KINDS)[number];

/** A derived credential's state as a user names it (issuer/lifecycle/credential-state.ts: expired is read from the date). */
export const CREDENTIAL_STATES = ['active', 'suspended', 'revoked', 'expired'] as const;
/** A four-eyes request: pending → approving (an approver claimed it) → approved, or pending → rejected. */
export const REVOCATION_REQUEST_STATES = ['pending', 'approving', 'approved', 'rejected'] as const;

export const AgentSession = Type.Object(
  {
    sessionToken: Type.String({ maxLength: 100 }),
    /** Seconds of inactivity after which the token dies; every accepted call renews it. */
    expiresIn: Type.Integer({ minimum: 1 }),
    agent: Type.Object(
      {
        name: Type.String({ maxLength: 500 }),
        roles: Type.Array(Type.Enum(AGENT_ROLES), { maxItems: AGENT_ROLES.length }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type AgentSession = Static<typeof AgentSession>;

/** Why the agent acts (it goes in the audit row): one line, 1–200 printable characters (checked by the rule). */
const AgentNote = Type.String({ minLength: 1, maxLength: 200 });

export const PersonLookupQuery = Type.Object(
  {
    /**
     * A name (in part), card UUID, FASC-N (hex), card or derived certificate serial (hex). Bounded here; anything
     * SQL-shaped is only ever a bound parameter (issuer/agent/person-lookup.ts).
     */
    q: Type.String({ minLength: 2, maxLength: 128 }),
  },
  { additionalProperties: false },
);
export type PersonLookupQuery = Static<typeof PersonLookupQuery>;

export const AgentCredential = Type.Object(
  {
    serialNumberHex: Type.String({ maxLength: 80 }),
    state: Type.Enum(CREDENTIAL_STATES),
    revocationReason: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
    issuedAt: Type.String({ maxLength: 40 }),
    notAfter: Type.String({ maxLength: 40 }),
    /** When renewal is due (the tenant's renewal threshold of the lifetime), ISO 8601. */
    renewalDueAt: Type.String({ maxLength: 40 }),
    device: Type.Object(
      {
        id: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
        platform: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
        model: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
        /** Whether platform and model are what the person confirmed at the kiosk (number matching), or unconfirmed. */
        source: Type.String({ maxLength: 40 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type AgentCredential = Static<typeof AgentCredential>;

/** An enrollment of the person's card waiting for its phone (QR shown at a kiosk), as the person screen lists it. */
export const WaitingEnrollment = Type.Object(
  {
    enrollmentId: OpaqueId,
    kioskId: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    startedAt: Type.String({ maxLength: 40 }),
    /** True once its one-time password ran out (re-issue gives a new one). */
    otpExpired: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type WaitingEnrollment = Static<typeof WaitingEnrollment>;

export const PersonRecord = Type.Object(
  {
    cardId: OpaqueId,
    name: Type.String({ maxLength: 500 }),
    uuid: Type.Union([Type.String({ maxLength: 36 }), Type.Null()]),
    fascnHex: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    cardSerialHex: Type.String({ maxLength: 80 }),
    cardNotAfter: Type.String({ maxLength: 40 }),
    credentials: Type.Array(AgentCredential, { maxItems: 100 }),
    /** The card's enrollments still waiting for their phone, newest first: the ones an agent may re-issue. */
    waitingEnrollments: Type.Array(WaitingEnrollment, { maxItems: 20 }),
  },
  { additionalProperties: false },
);
export type PersonRecord = Static<typeof PersonRecord>;

export const PersonLookup = Type.Object(
  {
    people: Type.Array(PersonRecord, { maxItems: 50 }),
    /** True when more cards matched than are shown: narrow the search. */
    truncated: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type PersonLookup = Static<typeof PersonLookup>;

export const AgentNoteRequest = Type.Object({ note: AgentNote }, { additionalProperties: false });
export type AgentNoteRequest = Static<typeof AgentNoteRequest>;

export const AgentRevokeRequest = Type.Object(
  {
    /** An RFC 5280 CRLReason name other than certificateHold (keyCompromise, affiliationChanged, …). */
    reason: Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z]+$' }),
    note: AgentNote,
  },
  { additionalProperties: false },
);
export type AgentRevokeRequest = Static<typeof AgentRevokeRequest>;

/** A credential's state after an agent's suspend or resume. */
export const AgentCredentialChange = Type.Object(
  { serialNumberHex: Type.String({ maxLength: 80 }), state: Type.String({ maxLength: 20 }) },
  { additionalProperties: false },
);
export type AgentCredentialChange = Static<typeof AgentCredentialChange>;

/**
 * A revocation or a leaver's termination: `revoked` lists the serials revoked now; `requested` means the tenant's
 * four-eyes policy (validateCancellation) holds it for another agent, an approver, to decide (`requestId`).
 */
export const AgentRevocationOutcome = Type.Object(
  {
    outcome: Type.Union([Type.Literal('revoked'), Type.Literal('requested')]),
    revoked: Type.Array(Type.String({ maxLength: 80 }), { maxItems: 1000 }),
    requestId: Type.Union([OpaqueId, Type.Null()]),
  },
  { additionalProperties: false },
);
export type AgentRevocationOutcome = Static<typeof AgentRevocationOutcome>;

export const CardIdParams = Type.Object({ cardId: OpaqueId }, { additionalProperties: false });
export type CardIdParams = Static<typeof CardIdParams>;
export const RevocationRequestIdParams = Type.Object({ requestId: OpaqueId }, { additionalProperties: false });
export type RevocationRequestIdParams = Static<typeof RevocationRequestIdParams>;

export const RevocationRequestView = Type.Object(
  {
    requestId: OpaqueId,
    /** A credential's serial, or a card id for "terminate everything for this person". */
    target: Type.Object(
      {
        kind: Type.Union([Type.Literal('credential'), Type.Literal('card')]),
        id: Type.String({ maxLength: 80 }),
      },
      { additionalProperties: false },
    ),
    personName: Type.String({ maxLength: 500 }),
    reason: Type.String({ maxLength: 32 }),
    note: Type.String({ maxLength: 200 }),
    requestedBy: Type.String({ maxLength: 500 }),
    requestedAt: Type.String({ maxLength: 40 }),
    status: Type.Enum(REVOCATION_REQUEST_STATES),
  },
  { additionalProperties: false },
);
export type RevocationRequestView = Static<typeof RevocationRequestView>;

export const RevocationRequestList = Type.Object(
  { requests: Type.Array(RevocationRequestView, { maxItems: 200 }) },
  { additionalProperties: false },
);
export type RevocationRequestList = Static<typeof RevocationRequestList>;

/** An enrollment in progress, as the live queue shows it. */
export const QueueEntry = Type.Object(
  {
    enrollmentId: OpaqueId,
    personName: Type.String({ maxLength: 500 }),
    kioskId: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    /**
     * awaiting-phone (QR shown), phone-seen (the phone fetched it), awaiting-affirmation (supervised: the phone waits
     * for an agent), completed, burned, card-revoked.
     */
    step: Type.String({ maxLength: 40 }),
    ageSeconds: Type.Integer({ minimum: 0 }),
    device: Type.Object(
      {
        platform: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
        model: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    /** True while the one-time password has run out (the agent may re-issue it). */
    otpExpired: Type.Boolean(),
    /**
     * Supervised issuance: the fingerprint of the key the phone asked a certificate for (contracts/key-fingerprint.ts;
     * null before), and whether an agent affirmed it.
     */
    keyFingerprint: Type.Union([Type.String({ maxLength: 19 }), Type.Null()]),
    affirmed: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type QueueEntry = Static<typeof QueueEntry>;

export const EnrollmentQueue = Type.Object(
  { enrollments: Type.Array(QueueEntry, { maxItems: 500 }) },
  { additionalProperties: false },
);
export type EnrollmentQueue = Static<typeof EnrollmentQueue>;

/** Supervised issuance: the agent affirms the fingerprint the phone (and the kiosk) shows. */
export const AffirmRequest = Type.Object(
  {
    fingerprint: Type.String({ maxLength: 19, pattern: KEY_FINGERPRINT_INPUT_PATTERN }),
    note: AgentNote,
  },
  { additionalProperties: false },
);
export type AffirmRequest = Static<typeof AffirmRequest>;

/**
 * The tenant's settings as the admin routes show them: name → value. The names and their rules have one home,
 * issuer/lifecycle/tenant-settings.ts; this contract only bounds the shape.
 */
export const TenantSettingsView = Type.Record(
  Type.String({ maxLength: 64 }),
  Type.Union([Type.String({ maxLength: 2048 }), Type.Number(), Type.Boolean(), Type.Null()]),
  { maxProperties: 64 },
);
export type TenantSettingsView = Static<typeof TenantSettingsView>;

/** Settings to change, name → the text an administrator types (as `dck admin tenant set`); all or none. */
export const TenantSettingsChange = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 2048 }), {
  minProperties: 1,
  maxProperties: 16,
});
export type TenantSettingsChange = Static<typeof TenantSettingsChange>;

/** The most audit rows one page of GET /agent/audit answers (and the default page size's bound). */
export const AUDIT_PAGE_MAX = 200;
/** Filter texts (agent, target) are bounded like a person search (issuer/agent/audit-search.ts checks them). */
export const AUDIT_FILTER_TEXT_MAX = 128;
export const AUDIT_OUTCOMES = ['success', 'failure'] as const;

/**
 * An auditor's search of the audit log (issuer/agent/audit-search.ts), newest first. `agent`: part of an agent's
 * name, or their card id; `action`: an event name (`agent-revoke`); `target`: text the row's details contain (a
 * serial, card or enrollment id, a note); `from`/`to`: `YYYY-MM-DD` or an ISO 8601 time in UTC (`…Z`), `from`
 * inclusive, `to` exclusive; `before`: the cursor of the next page (the last row's sequence); `limit`: rows per page;
 * `cursor`: the previous page's `nextCursor`, sent with its `before`, so that the pages of one search (an export) are
 * one audited act: a page with a valid cursor is not audited again, one without is a new, audited search.
 */
export const AuditSearchQuery = Type.Object(
  {
    agent: Type.Optional(Type.String({ maxLength: AUDIT_FILTER_TEXT_MAX })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    target: Type.Optional(Type.String({ maxLength: AUDIT_FILTER_TEXT_MAX })),
    outcome: Type.Optional(Type.String({ maxLength: 16 })),
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX })),
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type AuditSearchQuery = Static<typeof AuditSearchQuery>;

const AuditDetailValue = Type.Union([Type.String({ maxLength: 8192 }), Type.Number(), Type.Boolean(), Type.Null()]);

/** One audit row as the console shows and exports it. Identifiers only: no PIN, OTP, token or key is ever audited. */
export const AuditRow = Type.Object(
  {
    /** The row's place in the whole log (the next page's cursor is the last row's). */
    sequence: Type.Integer({ minimum: 1 }),
    at: Type.String({ maxLength: 40 }),
    /** What happened (`agent-revoke`, `agent-lookup`, `pki-auth`, …). */
    action: Type.String({ maxLength: 100 }),
    outcome: Type.Enum(AUDIT_OUTCOMES),
    /** The refusal's error code, or the result's short code (a revocation reason, a role). */
    code: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
    /** The agent who acted (their card id and name), when an agent did. */
    agent: Type.Union([
      Type.Object(
        { cardId: Type.String({ maxLength: 100 }), name: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]) },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    /** What the action was on: a serial, a card, an enrollment, a request, a search text. */
    target: Type.Union([Type.String({ maxLength: 8192 }), Type.Null()]),
    /** The agent's note (why), when the action took one. */
    note: Type.Union([Type.String({ maxLength: 8192 }), Type.Null()]),
    details: Type.Record(Type.String({ maxLength: 100 }), AuditDetailValue, { maxProperties: 64 }),
    /** The row's place in its writer's hash chain (issuer/audit/audit-chain.ts); null on rows from before the chain. */
    chain: Type.Union([
      Type.Object(
        { chainId: Type.String({ maxLength: 100 }), position: Type.Integer({ minimum: 1 }) },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);
export type AuditRow = Static<typeof AuditRow>;

export const AuditPage = Type.Object(
  {
    rows: Type.Array(AuditRow, { maxItems: AUDIT_PAGE_MAX }),
    /** Pass as `before` for the next (older) page; null when this page is the last. */
    nextBefore: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    /** Pass as `cursor` with `nextBefore`: the next page continues this search, not audited again (null: last page). */
    nextCursor: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type AuditPage = Static<typeof AuditPage>;

/**
 * A kiosk's problem as the console names it in words (issuer/kiosks/list-kiosks.ts finds them): revoked by an
 * administrator, never heard from, heartbeat stale (silent this long), reader or card service down, a recent error
 * the kiosk reported (its code: main/heartbeat/reader-state.ts).
 */
export const KioskProblem = Type.Union([
  Type.Object({ kind: Type.Literal('revoked') }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('never-seen') }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal('heartbeat-stale'), silentSeconds: Type.Integer({ minimum: 0 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('reader-down'), reader: Type.Union([Type.Literal('no-reader'), Type.Literal('error')]) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('card-service-down'),
      cardService: Type.Union([Type.Literal('unavailable'), Type.Literal('unknown')]),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('recent-error'), code: Type.String({ maxLength: 64 }), at: Type.String({ maxLength: 40 }) },
    { additionalProperties: false },
  ),
]);
export type KioskProblem = Static<typeof KioskProblem>;

/** One kiosk as the console lists it: its last heartbeat's states (null before the first) and its problems. */
export const AgentKiosk = Type.Object(
  {
    name: Type.String({ maxLength: 64 }),
    lastSeenAt: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
    reader: Type.Union([Type.String({ maxLength: 20 }), Type.Null()]),
    cardService: Type.Union([Type.String({ maxLength: 20 }), Type.Null()]),
    appVersion: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
    problems: Type.Array(KioskProblem, { maxItems: 16 }),
  },
  { additionalProperties: false },
);
export type AgentKiosk = Static<typeof AgentKiosk>;

/** Every registered kiosk, those with problems first (then by name). */
export const AgentKioskList = Type.Object(
  { kiosks: Type.Array(AgentKiosk, { maxItems: 1000 }) },
  { additionalProperties: false },
);
export type AgentKioskList = Static<typeof AgentKioskList>;

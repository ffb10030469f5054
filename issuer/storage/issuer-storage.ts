// The one storage interface of the issuer service. SQLite implements it for the embedded default; a PostgreSQL
// implementation comes later, so every method is async and every compound change is one call (one transaction).
// Every state change takes the audit row that records it and writes both in the SAME transaction: a change without
// its audit row (or an audit row for a change that did not happen) cannot exist. `AuditFor` lets the row depend on
// the change's result (e.g. the card id an upsert settled on). Times are milliseconds since the epoch. Secrets are
// never stored: only hashes (see issuer/secrets.ts).
import type { KeyProtection } from '../../contracts/issuer-api.ts';
import type { AgentIdentityKind, AgentRole } from '../../contracts/agent-api.ts';
import type { RevocationReason } from '../lifecycle/revocation-reason.ts';

export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'token-issued';

/** What the phone reported about itself (each null when it did not say); checked before it is stored. */
export interface ReportedDevice {
  platform: string | null;
  model: string | null;
  appName: string | null;
  appVersion: string | null;
}

/** A kiosk sign-in showed this phone's details and number (number matching); the latest one counts. */
export interface DevicePairingShown {
  sessionId: string;
  shownAt: number;
}

export interface DeviceAuthorizationRecord {
  id: string;
  deviceCodeHash: string;
  userCodeHash: string;
  clientId: string;
  status: DeviceAuthorizationStatus;
  createdAt: number;
  expiresAt: number;
  intervalSeconds: number;
  lastPollAt: number | null;
  cardId: string | null;
  enrollmentId: string | null;
  accessTokenHash: string | null;
  accessTokenExpiresAt: number | null;
  device: ReportedDevice;
  pairing: DevicePairingShown | null;
}

/** A redeem's look-ups (IssuerStorage.findRedemptionParties): an unknown enrollment has no card either. */
export interface RedemptionParties {
  device: DeviceAuthorizationRecord;
  enrollment: EnrollmentRecord | null;
  card: CardRecord | null;
}

export interface ChallengeRecord {
  id: string;
  challenge: Uint8Array;
  kioskId: string | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface CardRecord {
  id: string;
  issuerDn: string;
  serialNumberHex: string;
  uuid: string | null;
  fascnHex: string | null;
  commonName: string;
  notAfter: number;
  certificateDer: Uint8Array;
}

export interface KioskSessionRecord {
  id: string;
  tokenHash: string;
  cardId: string;
  kioskId: string | null;
  /**
   * The registered kiosk whose signed PKI-AUTH answer opened the session: only its signed calls may use it
   * (issuer/kiosks/kiosk-request.ts sessionKioskRefusal). Null: opened unsigned (kioskSignatures optional), unbound.
   */
  signedKioskId: string | null;
  createdAt: number;
  expiresAt: number;
  userCodeFailures: number;
}

/** `card-revoked`: the card's certificate was found revoked after the approval; the enrollment can never complete. */
export type EnrollmentStatusValue = 'awaiting-phone' | 'completed' | 'burned' | 'card-revoked';

export interface EnrollmentRecord {
  id: string;
  deviceAuthorizationId: string;
  cardId: string;
  kioskSessionId: string;
  status: EnrollmentStatusValue;
  otpHash: string;
  otpExpiresAt: number;
  otpFailures: number;
  createdAt: number;
  completedAt: number | null;
  derivedCertificateSerialHex: string | null;
  /** When the phone first fetched the enrollment after scanning its QR code (null: not yet). */
  phoneFetchedAt: number | null;
  /** The registered kiosk whose signed call approved it (issuer/kiosks/kiosk-request.ts); null: an unsigned call. */
  kioskId: string | null;
}

/** The derived credential as issued: the certificate, what it was issued for, and what binds it. */
export interface NewDerivedCertificate {
  serialNumberHex: string;
  cardId: string;
  deviceAuthorizationId: string;
  enrollmentId: string;
  certificateDer: Uint8Array;
  notBefore: number;
  notAfter: number;
  issuedAt: number;
  /** The device as the phone reported it (nothing checks it: it names the device to an administrator). */
  device: DeviceReport;
  tenant: string;
  /** The issuer generation whose CA signed it: refused when that generation was retired meanwhile. */
  issuerGeneration: number;
  /** Where the card's PIV Authentication certificate publishes its revocation (stored on the card). */
  cardRevocationSources: CardRevocationSources;
  /** A PC's credential (issuer/pc/): where its key lives. Absent or null for a phone (its app does not say). */
  keyProtection?: KeyProtection | null;
}

/**
 * Where a binding's platform and model come from: `confirmed-at-kiosk`, the phone's report at device authorization
 * that the person saw at the kiosk and confirmed with the matching number (pairing/); `unconfirmed`, nothing the
 * person confirmed (platform and model then null; rows from before migration 10 keep what the redeem body said).
 */
export const DEVICE_REPORT_SOURCES = ['confirmed-at-kiosk', 'unconfirmed'] as const;
export type DeviceReportSource = (typeof DEVICE_REPORT_SOURCES)[number];

export interface DeviceReport {
  /** The phone's own id from the redeem body (renewal: the same card and id supersede); never shown to the person. */
  id: string | null;
  platform: string | null;
  model: string | null;
  source: DeviceReportSource;
}
export interface CardRevocationSources {
  crlUrls: string[];
  ocspUrl: string | null;
}

/** Stored states; `expired` is read from notAfter (see lifecycle/credential-state.ts). */
export type StoredCredentialStatus = 'active' | 'suspended' | 'revoked';

export interface DerivedCertificateRecord extends Omit<NewDerivedCertificate, 'cardRevocationSources'> {
  status: StoredCredentialStatus;
  /** certificateHold while suspended; the RFC 5280 reason once revoked; null while active. */
  revocationReason: RevocationReason | null;
  /** When the status last changed (the CRL's revocationDate). */
  statusChangedAt: number | null;
}

/** A derived credential with its card: what `dck admin credentials` shows. */
export interface DerivedCredentialView extends DerivedCertificateRecord {
  card: Pick<CardRecord, 'id' | 'issuerDn' | 'serialNumberHex' | 'uuid' | 'fascnHex' | 'commonName' | 'notAfter'> &
    CardRevocationSources;
}

/** How to find credentials: each field narrows (AND); `name` matches the cardholder's name case-insensitively, in part. */
export interface CredentialFilter {
  serialNumberHex?: string;
  cardId?: string;
  personUuid?: string;
  fascnHex?: string;
  name?: string;
  deviceId?: string;
  status?: StoredCredentialStatus;
}

/** A state change: allowed only from `from`; `reason` is stored (null clears it, as a resume does). */
export interface CredentialStateChange {
  serialNumberHex: string;
  from: readonly StoredCredentialStatus[];
  to: StoredCredentialStatus;
  reason: RevocationReason | null;
  at: number;
  /** The change is refused for a credential whose notAfter is at or before this (expired). */
  notExpiredAt: number;
}

export type CredentialStateChangeResult =
  { changed: true; before: DerivedCertificateRecord } | { changed: false; current: DerivedCertificateRecord | null };

/** Revokes every credential of a card or of an issuer generation that is not revoked yet. */
export type CredentialScope = { cardId: string } | { issuerGeneration: number };

export interface IssuerGeneration {
  generation: number;
  caCertificateDer: Uint8Array;
  startedAt: number;
  retiredAt: number | null;
}

/** A revoked (or held) entry of the CRL. */
export interface CrlEntry {
  serialNumberHex: string;
  revokedAt: number;
  reason: RevocationReason;
}

/** A CRL number taken with the revocation state it must list (both read in one transaction). */
export interface CrlDraft {
  generation: number;
  crlNumber: number;
  stateVersion: number;
  entries: CrlEntry[];
}

export interface PublishedCrl {
  generation: number;
  crlNumber: number;
  stateVersion: number;
  der: Uint8Array;
  thisUpdate: number;
  nextUpdate: number;
}

export type AuditOutcome = 'success' | 'failure';

export interface AuditEntryInput {
  at: number;
  event: string;
  outcome: AuditOutcome;
  /** Short code of the failure or the result (never a secret). */
  code: string | null;
  /** Identifiers only (record ids, card serial, client id, remote address) — never a PIN, OTP, token or key. */
  details: Record<string, string | number | boolean | null>;
}

/** A row's place in its hash chain (issuer/audit/audit-chain.ts); null on rows written before the chain began. */
export interface AuditChainLink {
  chainId: string;
  chainSequence: number;
  previousHash: string;
  hash: string;
}

export interface AuditEntry extends AuditEntryInput {
  sequence: number;
  chain: AuditChainLink | null;
}

/** A chain's registration and head (its last row), as a writer left them. */
export interface AuditChainHead {
  chainId: string;
  writer: string;
  startedAt: number;
  headSequence: number;
  headHash: string;
}

/** Where a chain's verification starts after the retention dropped its rows up to `chainSequence`. */
export interface AuditCheckpoint {
  chainId: string;
  chainSequence: number;
  hash: string;
}

/** The rows written before the chain began (sequence ≤ upToSequence), sealed once. */
export interface AuditGenesis {
  upToSequence: number;
  rows: number;
  headHash: string;
}

/** What verification starts from: the genesis seal, every chain's head, each chain's latest checkpoint. */
export interface AuditChainState {
  genesis: AuditGenesis;
  chains: AuditChainHead[];
  checkpoints: AuditCheckpoint[];
}

/**
 * An auditor's search (issuer/agent/audit-search.ts): each field null when not filtered on; every value reaches SQL
 * only as a bound parameter.
 */
export interface AuditSearch {
  /** Text an agent's card name contains (any case), or their exact card id (the agent card a row's details name). */
  agent: string | null;
  /** The exact event name. */
  event: string | null;
  /** Text the row's details (as stored, JSON) contain, in any case. */
  target: string | null;
  outcome: AuditOutcome | null;
  /** `at` from (inclusive) and to (exclusive), milliseconds. */
  fromAt: number | null;
  toAt: number | null;
  /** Only rows older than this sequence (the paging cursor). */
  beforeSequence: number | null;
}

/** An audit row found by a search, with the name of the agent card its details name (null: none, or unknown). */
export interface AuditSearchRow extends AuditEntry {
  agentName: string | null;
}

/** The audit row of a change, fixed or computed from the change's result inside the transaction. */
export type AuditFor<R> = AuditEntryInput | ((result: R) => AuditEntryInput);

export interface NewKiosk {
  name: string;
  /** Ed25519 SubjectPublicKeyInfo, DER. */
  publicKeyDer: Uint8Array;
  /** SHA-256 of publicKeyDer, hex: what the administrator compares with the kiosk's screen or file. */
  fingerprint: string;
  registeredAt: number;
  registeredBy: string;
}

export interface KioskRecord extends NewKiosk {
  revokedAt: number | null;
  lastSentAt: number | null;
  lastSeenAt: number | null;
  /** The last heartbeat's report as stored (JSON of KioskHeartbeatReport), or null before the first. */
  lastReportJson: string | null;
}

/** Thrown (as `error.code`) when the database stayed locked by other processes past the retry deadline. */
export const STORAGE_BUSY = 'storage-busy';
/** Thrown (as `error.code`) when the database cannot be reached (PostgreSQL down or restarting); nothing was written. */
export const STORAGE_UNAVAILABLE = 'storage-unavailable';

export interface IssuerStorage extends NotificationStorage, AgentStorage {
  // device authorization (RFC 8628)
  /** Inserts the record with its audit row; throws (nothing written) on a duplicate code hash. */
  insertDeviceAuthorization(record: DeviceAuthorizationRecord, audit: AuditEntryInput): Promise<void>;
  findDeviceAuthorizationByDeviceCodeHash(hash: string): Promise<DeviceAuthorizationRecord | null>;
  findDeviceAuthorizationByUserCodeHash(hash: string): Promise<DeviceAuthorizationRecord | null>;
  findDeviceAuthorizationByAccessTokenHash(hash: string): Promise<DeviceAuthorizationRecord | null>;
  /**
   * What a redeem looks at, read together (one statement on PostgreSQL): the device authorization holding the access
   * token (null: none), the enrollment `enrollmentId` whoever's it is, and that enrollment's card. Checks nothing.
   */
  findRedemptionParties(accessTokenHash: string, enrollmentId: string): Promise<RedemptionParties | null>;
  /** Records a token poll and the (possibly raised) interval (not audited: polling is not a step). */
  recordTokenPoll(id: string, at: number, intervalSeconds: number): Promise<void>;
  /** approved → token-issued (and the poll recorded) with its audit row, only if still approved. False: someone else won, nothing written. */
  issueAccessToken(
    id: string,
    token: { hash: string; expiresAt: number; polledAt: number },
    audit: AuditEntryInput,
  ): Promise<boolean>;
  findDeviceAuthorization(id: string): Promise<DeviceAuthorizationRecord | null>;
  /**
   * Records that `pairing.sessionId` showed the phone's details (replacing an earlier sign-in's), with its audit
   * row, only while the device authorization is pending. False: nothing recorded. Either way, the user_code guess
   * that found the code (taken for `pairing.sessionId` and `cardId`) is given back in the same step, as
   * `releaseUserCodeGuess` would: a code that exists was not a wrong guess.
   */
  showDevicePairing(id: string, pairing: DevicePairingShown, cardId: string, audit: AuditEntryInput): Promise<boolean>;
  /** "Not my phone": pending → denied with its audit row, only if `sessionId` is the sign-in that showed it. */
  denyDevicePairing(id: string, sessionId: string, audit: AuditEntryInput): Promise<boolean>;

  // PKI-AUTH
  insertChallenge(record: ChallengeRecord): Promise<void>;
  findChallenge(id: string): Promise<ChallengeRecord | null>;
  /** Marks the challenge used (a refused answer) with its audit row, only if unused. False on replay, nothing written. */
  consumeChallenge(id: string, at: number, audit: AuditEntryInput): Promise<boolean>;
  /**
   * A verified answer: marks the challenge used, inserts the card (or refreshes it when issuer + serial are known),
   * inserts the kiosk session bound to that card and the audit row, in one transaction. Returns the card id, or
   * null when the challenge was already used (a concurrent answer won; nothing written).
   */
  openKioskSession(
    challengeId: string,
    at: number,
    card: CardRecord,
    session: Omit<KioskSessionRecord, 'cardId'>,
    audit: AuditFor<string>,
  ): Promise<string | null>;
  findCard(id: string): Promise<CardRecord | null>;
  findKioskSessionByTokenHash(hash: string): Promise<KioskSessionRecord | null>;
  /**
   * Takes one user_code guess for the session and its card before the code is looked at, atomically over every
   * process: refused while the session has `limits.perSession` failures or the card `limits.perCard` failures in
   * its current window (a window older than `limits.windowMs` starts again at zero). A taken guess counts as a
   * failure until `releaseUserCodeGuess` (or an approval) gives it back, so concurrent guesses never exceed a limit.
   */
  takeUserCodeGuess(
    sessionId: string,
    cardId: string,
    at: number,
    limits: UserCodeGuessLimits,
  ): Promise<UserCodeGuessVerdict>;
  /** Gives back a taken guess whose code was not a wrong one (expired, already used, refused for another reason). */
  releaseUserCodeGuess(sessionId: string, cardId: string): Promise<void>;
  /**
   * Records a wrong user_code (its guess already taken) with its audit row; at `maxFailures` the session ends.
   * Returns the session's count.
   */
  recordUserCodeFailure(sessionId: string, maxFailures: number, at: number, audit: AuditEntryInput): Promise<number>;
  /**
   * The card's certificate is revoked: every live session of the card ends, every enrollment still awaiting its
   * phone becomes `card-revoked` and its device authorization denied, with the audit row, in one transaction.
   */
  revokeCardSessions(cardId: string, at: number, audit: AuditFor<CardRevocationResult>): Promise<CardRevocationResult>;

  // approve + enrollments
  /**
   * pending → approved for the card, the enrollment inserted, the session's user_code guess given back and the
   * audit row, in one transaction; refused when the device authorization is no longer pending, or when the session
   * has already approved `maxApprovalsPerSession` phones.
   */
  approveDeviceAuthorization(
    deviceAuthorizationId: string,
    enrollment: EnrollmentRecord,
    maxApprovalsPerSession: number,
    audit: AuditEntryInput,
  ): Promise<ApproveResult>;
  findEnrollment(id: string): Promise<EnrollmentRecord | null>;
  /** Sets `phoneFetchedAt` the first time (later calls change nothing). True when this call set it. */
  recordPhoneFetched(id: string, at: number): Promise<boolean>;
  /** New OTP hash + expiry with its audit row, only while awaiting the phone. Wrong OTPs keep counting across refreshes. */
  replaceEnrollmentOtp(id: string, otpHash: string, otpExpiresAt: number, audit: AuditEntryInput): Promise<boolean>;
  /**
   * Adds one wrong OTP with its audit row; at `maxFailures` an enrollment awaiting its phone is burned and its device
   * authorization denied. A completed one's count grows too (it ends the repeated delivery) but it stays completed.
   */
  recordOtpFailure(id: string, maxFailures: number, audit: AuditFor<OtpFailureResult>): Promise<OtpFailureResult>;
  /**
   * awaiting-phone → completed, only if the OTP hash still matches (no refresh, burn or other redemption came
   * first), with the derived certificate, the audit row and the messages that report it, in one transaction.
   * False: nothing written.
   */
  completeEnrollment(
    id: string,
    otpHash: string,
    certificate: NewDerivedCertificate,
    audit: AuditEntryInput,
    supersede?: SupersedeAudit,
    notifications?: readonly NotificationInput[],
  ): Promise<CompleteEnrollmentResult>;
  findDerivedCertificate(serialNumberHex: string): Promise<DerivedCertificateRecord | null>;
  /**
   * A card sign-in authorizes this one PC (issuer/pc/, no phone, no OTP): an approved device authorization (client
   * `dck-pc`), a completed enrollment of the session, the credential (never superseding another: the PC revokes
   * its old one once the new one is installed), the audit row and the notices, in one transaction. Refused when the
   * session has already authorized `maxApprovalsPerSession` devices, or the certificate's generation was retired.
   */
  enrollPc(
    authorization: PcAuthorization,
    certificate: NewDerivedCertificate,
    maxApprovalsPerSession: number,
    audit: AuditEntryInput,
    notifications?: readonly NotificationInput[],
  ): Promise<PcEnrollmentResult>;

  // lifecycle (lifecycle/credential-state.ts holds the rules; these are its conditional writes)
  findDerivedCredential(serialNumberHex: string): Promise<DerivedCredentialView | null>;
  /** Newest first, at most `limit`. */
  listDerivedCredentials(filter: CredentialFilter, limit: number): Promise<DerivedCredentialView[]>;
  /** One credential's state, only from `change.from` and not expired, with its audit row; the CRL is then out of date. */
  changeCredentialState(
    change: CredentialStateChange,
    audit: AuditEntryInput,
    notices?: NoticesFor,
  ): Promise<CredentialStateChangeResult>;
  /** Revokes every active or suspended, unexpired credential in `scope`, with one audit row (and notices) per credential. */
  revokeCredentials(
    scope: CredentialScope,
    reason: RevocationReason,
    at: number,
    audit: (serialNumberHex: string) => AuditEntryInput,
    notices?: NoticesFor,
  ): Promise<string[]>;
  /** The live generation (the highest, unretired), or null on a new database. */
  currentIssuerGeneration(): Promise<IssuerGeneration | null>;
  findIssuerGeneration(generation: number): Promise<IssuerGeneration | null>;
  /**
   * Starts a new generation for `caCertificateDer`: retires the live one (its CA signs no more) and revokes every
   * credential of it with `reason`, one audit row per credential plus `audit`, in one transaction. When the live
   * generation already has this CA certificate, nothing changes and its number is returned.
   */
  startIssuerGeneration(
    caCertificateDer: Uint8Array,
    at: number,
    reason: RevocationReason,
    audit: AuditFor<{ generation: number; revoked: string[] }>,
    revokedAudit: (serialNumberHex: string) => AuditEntryInput,
    notices?: (generation: number) => NoticesFor,
  ): Promise<{ generation: number; revoked: string[] }>;
  /** Takes the next CRL number of `generation` and reads the entries it must list, in one transaction. */
  draftCrl(generation: number, at: number): Promise<CrlDraft>;
  /** Stores a signed CRL unless a higher-numbered one is already published; true when stored. */
  publishCrl(crl: PublishedCrl): Promise<boolean>;
  findPublishedCrl(generation: number): Promise<PublishedCrl | null>;
  /** The count of revocation-state changes of `generation` (the CRL is stale while its stateVersion is lower). */
  crlStateVersion(generation: number): Promise<number>;
  readTenantSettings(): Promise<Record<string, string>>;
  /** Writes settings (name → JSON text) with the audit row of the change, in one transaction. */
  writeTenantSettings(values: Record<string, string>, at: number, audit: AuditEntryInput): Promise<void>;

  // audit
  /** An audit row on its own: for refusals that change nothing. */
  appendAudit(entry: AuditEntryInput): Promise<void>;
  listAudit(afterSequence: number, limit: number): Promise<AuditEntry[]>;
  /** Up to `limit` rows that match `search`, newest (highest sequence) first. */
  searchAudit(search: AuditSearch, limit: number): Promise<AuditSearchRow[]>;
  /** The chains' registrations, heads and latest checkpoints and the genesis seal, read in one transaction. */
  readAuditChainState(): Promise<AuditChainState>;
  /** Up to `limit` rows older than `before`, oldest first: what the retention exports next. */
  listAuditBefore(before: number, limit: number): Promise<AuditEntry[]>;
  /**
   * The retention path, the only way rows leave the audit log: records that rows up to `upToSequence` were
   * written to `file` (with its SHA-256), drops them, and appends the audit row of the retention, in one transaction.
   * The dropped rows are verified first and each chain's last dropped row recorded as its checkpoint; throws
   * (`AuditChainBrokenError`, nothing dropped) when they do not verify: a break stays for `dck admin audit verify`.
   */
  dropExportedAudit(
    exported: { upToSequence: number; rows: number; file: string; sha256: string; at: number },
    audit: AuditEntryInput,
  ): Promise<void>;

  // kiosk identities (issuer/kiosks/)
  /** Registers a kiosk with its audit row; false (nothing written) when the name is taken. */
  registerKiosk(kiosk: NewKiosk, audit: AuditEntryInput): Promise<boolean>;
  /** Revokes a kiosk with its audit row; false when unknown or already revoked. */
  revokeKiosk(name: string, at: number, audit: AuditEntryInput): Promise<boolean>;
  findKiosk(name: string): Promise<KioskRecord | null>;
  listKiosks(): Promise<KioskRecord[]>;
  /**
   * Records a verified heartbeat, only if the kiosk is still active and `sentAt` is later than its last one
   * (several workers may receive a replay at once: one conditional update decides). False: replayed or revoked.
   */
  recordKioskHeartbeat(name: string, sentAt: number, seenAt: number, reportJson: string): Promise<boolean>;
  /**
   * Uses up a signed call's nonce (issuer/kiosks/kiosk-request.ts): true when `kiosk` had not used it, kept until
   * `keepUntil`; false (a replay) when it had. Drops the kiosk's nonces that ran out before `now` on the way.
   */
  useKioskNonce(kiosk: string, nonce: string, keepUntil: number, now: number): Promise<boolean>;

  // maintenance
  /** Takes (or renews) the lease `name` for `holder` until `at + ttlMs`, unless another holder's lease is still live. */
  takeLease(name: string, holder: string, at: number, ttlMs: number): Promise<boolean>;
  /**
   * Deletes what expired before `cutoff` and no issued certificate refers to: challenges, kiosk sessions, unfinished
   * enrollments of ended sessions, device authorizations; with one audit row when anything was deleted.
   */
  purgeExpired(cutoff: number, audit: AuditFor<PurgeResult>): Promise<PurgeResult>;

  // eligibility (issuer/eligibility/: the card monitor)
  /**
   * Cards with at least one derived certificate still within its validity at `at`, ordered by card id, after
   * `afterCardId` ('' from the start), at most `limit`; each with when its first such certificate was issued and its
   * eligibility row, if any.
   */
  listLinkedCards(afterCardId: string, limit: number, at: number): Promise<LinkedCard[]>;
  /**
   * One page of the cards `query.kind` finds due (DueCardsQuery), after `query.after`, at most `query.limit`, each
   * read by index: a run over a store of cards between checks reads none of them (issue 15).
   */
  listDueCards(query: DueCardsQuery): Promise<DueCard[]>;
  /**
   * Cards found due but with no derived certificate valid at `at` leave the schedule (a card never checked its
   * first-check entry; a checked one its next check time) until a certificate is issued for them again, which puts
   * them back (migration 15's trigger: a card checked before is then due at once). A card given a certificate
   * meanwhile stays. Returns how many left.
   */
  unscheduleUnlinkedCards(cardIds: readonly string[], at: number): Promise<number>;
  /**
   * Never-checked cards read before they were due, their entry earlier than their earliest valid certificate (an
   * earlier one was revoked or expired): each entry moves on to that certificate's issue time (never back), so the
   * card is not read again before it is due.
   */
  delayFirstChecks(entries: readonly FirstCheckEntry[]): Promise<void>;
  /** Upserts the eligibility rows of one page of checks and appends `audit` rows, in one transaction. */
  recordCardEligibility(records: readonly CardEligibilityRecord[], audit: readonly AuditEntryInput[]): Promise<void>;
  /** The tenant's policy for a revoked card has been applied: sets action_done_at, with its audit row. */
  markCardEligibilityActionDone(cardId: string, at: number, audit: AuditEntryInput): Promise<void>;

  close(): Promise<void>;
}

/** The card monitor's part of the storage: what each backend's eligibility module (sqlite-/postgres-eligibility.ts) makes. */
export type EligibilityStorage = Pick<
  IssuerStorage,
  | 'listLinkedCards'
  | 'listDueCards'
  | 'unscheduleUnlinkedCards'
  | 'delayFirstChecks'
  | 'recordCardEligibility'
  | 'markCardEligibilityActionDone'
>;

/** good: an unrevoked answer; revoked: on a CRL or OCSP says so; unknown: no current answer (flagged, never acted on). */
export type EligibilityVerdict = 'good' | 'revoked' | 'unknown';

export interface CardEligibilityRecord {
  cardId: string;
  checkedAt: number;
  verdict: EligibilityVerdict;
  /** Where the answer came from, or why there was none (no secret: sources and certificate names only). */
  detail: string;
  /** Null once nothing is left to check (revoked). */
  nextCheckAt: number | null;
  /** Since when the verdict has been unknown without a break; null otherwise. */
  unknownSince: number | null;
  actionDoneAt: number | null;
}

export interface LinkedCard {
  card: CardRecord;
  /** Issue time of the card's earliest derived certificate still valid: the first check is a week after it. */
  firstIssuedAt: number;
  eligibility: CardEligibilityRecord | null;
}

/**
 * Which due cards a listing pages through (card-monitor.ts runs the three in turn), each by its own index:
 * `action-pending` revoked cards whose policy is still to apply (by card id); `recheck` cards checked before whose
 * next check time is at most `dueBy`; `first-check` cards never checked whose first derived certificate was issued
 * at most at `dueBy` (schedule.ts turns the run's time into that bound).
 */
export type DueCardsKind = 'action-pending' | 'recheck' | 'first-check';

/** Where a page of due cards ends: its last card's key time (0 for `action-pending`) and id. */
export interface DueCardsKey {
  time: number;
  cardId: string;
}

export interface DueCardsQuery {
  kind: DueCardsKind;
  /** Cards after this key; the first page starts at { time: -1, cardId: '' }. */
  after: DueCardsKey;
  limit: number;
  /** The run's time: which derived certificates are still valid. */
  at: number;
  /** The bound on the key time (unused for `action-pending`). */
  dueBy: number;
}

export interface FirstCheckEntry {
  cardId: string;
  firstIssuedAt: number;
}

export interface DueCard {
  card: CardRecord;
  /** Issue time of its earliest derived certificate valid at the run's time; null: none (the card is not linked). */
  firstIssuedAt: number | null;
  eligibility: CardEligibilityRecord | null;
  key: DueCardsKey;
}

/** A renewal: each older credential of the same card and device is revoked as superseded, with this audit row. */
export type SupersedeAudit = (serialNumberHex: string) => AuditEntryInput;
/** `generation-retired`: the CA that signed it belongs to a retired issuer generation; nothing stored. */
/** The PC a card sign-in authorized (issuer/pc/enroll-pc.ts). */
export interface PcAuthorization {
  deviceAuthorizationId: string;
  enrollmentId: string;
  sessionId: string;
  cardId: string;
  at: number;
  /** As the PC reported them (never trusted). */
  platform: string;
  model: string | null;
}

export type PcEnrollmentResult =
  { enrolled: true } | { enrolled: false; reason: 'session-approval-limit' | 'generation-retired' };

export type CompleteEnrollmentResult =
  { completed: true; superseded: string[] } | { completed: false; reason: 'not-claimable' | 'generation-retired' };

export interface OtpFailureResult {
  failures: number;
  burned: boolean;
}

export interface UserCodeGuessLimits {
  perSession: number;
  perCard: number;
  windowMs: number;
}
export type UserCodeGuessVerdict = 'taken' | 'session-limit' | 'card-limit';
export type ApproveResult = 'approved' | 'not-pending' | 'session-limit';
export interface CardRevocationResult {
  sessionsEnded: number;
  revokedEnrollmentIds: string[];
}
export interface AgentPurgeResult {
  agentSessions: number;
  revocationRequests: number;
}
/** Rows per table one purge (`purgeExpired`) deletes at most: short transactions, a few ms of SQLite's write lock. */
export const PURGE_BATCH_ROWS = 2000;

export interface PurgeResult {
  challenges: number;
  deviceAuthorizations: number;
  kioskSessions: number;
  enrollments: number;
}

// ─────────────── notifications (outbox, issue 10 §5) ───────────────

/**
 * What a message tells the cardholder (SP 800-157r1: every new derived credential; and revocation, renewal, issuer
 * change). `card-revoked`: the card monitor found the card revoked and the tenant's policy is `flag` (the derived
 * credentials stay; the holder learns of the card, one message per card, no derived serial).
 */
export type NotificationKind =
  'credential-issued' | 'credential-revoked' | 'renewal-due' | 'issuer-changed' | 'card-revoked';

/** The idempotency key of a message about a derived certificate: one message of each kind per certificate, ever. */
export const notificationKey = (kind: NotificationKind, derivedSerialHex: string): string =>
  `${kind}:${derivedSerialHex}`;

/** Facts a message shows: identifiers, dates, device names. Never a PIN, OTP, token or key (the outbox is not a vault). */
export type NotificationFacts = Record<string, string | number | null>;

/**
 * The messages that report a change to one credential (issuer/notifications/notices.ts), queued in the outbox
 * inside the change's transaction: committed with it, or not at all.
 */
export type NoticesFor = (
  credential: Pick<DerivedCertificateRecord, 'serialNumberHex' | 'cardId' | 'notAfter'>,
) => readonly NotificationInput[];

/** A message to queue, inside the transaction of the change it reports. */
export interface NotificationInput {
  id: string;
  /** The fact it reports, e.g. `credential-issued:<serial>`: queuing the same key twice keeps the first row. */
  idempotencyKey: string;
  kind: NotificationKind;
  cardId: string;
  derivedSerialHex: string | null;
  facts: NotificationFacts;
  createdAt: number;
}

/** pending: to send (now or at nextAttemptAt); sent; failed: given up after the last attempt (audited). */
export type NotificationStatus = 'pending' | 'sent' | 'failed';

export interface NotificationRecord extends NotificationInput {
  status: NotificationStatus;
  /** Attempts started (a claim counts one, so a sender that dies mid-send still uses up a try). */
  attempts: number;
  nextAttemptAt: number;
  claimedBy: string | null;
  claimedUntil: number | null;
  /** Code of the last failure (`smtp-unavailable`, `no-address`, …), never the server's words. */
  lastError: string | null;
  sentAt: number | null;
}

/** How a claimed message ended this attempt. */
export type NotificationSettlement =
  | { outcome: 'sent'; at: number }
  | { outcome: 'retry'; at: number; nextAttemptAt: number; error: string }
  | { outcome: 'failed'; at: number; error: string };

export interface NotificationStorage {
  /** Queues one message on its own (renewal-due, a revocation without its own transaction). False: its key was already queued. */
  queueNotification(message: NotificationInput, audit: AuditEntryInput): Promise<boolean>;
  /**
   * Derived certificates past `thresholdPercent` of their lifetime at `at`, not yet expired, with no `renewal-due`
   * message queued: what the renewal scan queues next (oldest first, at most `limit`).
   */
  listRenewalCandidates(at: number, thresholdPercent: number, limit: number): Promise<DerivedCertificateRecord[]>;
  /**
   * Claims up to `limit` pending messages due at `at` whose claim is free or lapsed, for `holder` until
   * `at + leaseMs`, counting one attempt each, in one conditional update: two senders never hold the same row.
   */
  claimNotifications(holder: string, at: number, leaseMs: number, limit: number): Promise<NotificationRecord[]>;
  /** Records how the attempt ended, only while `holder` still holds the claim (false: it lapsed; nothing written). */
  settleNotification(
    id: string,
    holder: string,
    settlement: NotificationSettlement,
    audit: AuditEntryInput | null,
  ): Promise<boolean>;
  listNotifications(limit: number): Promise<NotificationRecord[]>;
}

// ─────────────── help-desk agent console (issue 13; rules in issuer/agent/) ───────────────

/** How a role assignment names a card: `uuid` lower-case, `fascn` lower-case hex, `subject` the DN as RFC 4514 text. */
export interface AgentIdentityKey {
  kind: AgentIdentityKind;
  value: string;
}

export interface AgentRoleGrant extends AgentIdentityKey {
  role: AgentRole;
  grantedAt: number;
  /** Who granted it (an administrator's name, or an agent's card id). */
  grantedBy: string;
}

export interface AgentSessionRecord {
  id: string;
  tokenHash: string;
  cardId: string;
  createdAt: number;
  /** Moves forward with every accepted call (renewed by activity). */
  idleExpiresAt: number;
  /** The session's hard end, whatever the activity. */
  expiresAt: number;
  /** Signed out (the console does so when the agent's card leaves the reader). */
  endedAt: number | null;
}

/**
 * pending → approving (an approver claimed it; the revocation is under way) → approved; pending → rejected. The
 * claim makes two approvers (or an approver and a rejecter) acting at once end with one winner.
 */
export type RevocationRequestStatus = 'pending' | 'approving' | 'approved' | 'rejected';

/** A four-eyes revocation waiting for an approver: of one credential, or of every credential of a card (a leaver). */
export interface RevocationRequestRecord {
  id: string;
  targetKind: 'credential' | 'card';
  /** The credential's serial, or the card id. */
  target: string;
  /** The card whose holder the revocation is about. */
  cardId: string;
  reason: RevocationReason;
  note: string;
  requestedByCardId: string;
  requestedAt: number;
  status: RevocationRequestStatus;
  decidedByCardId: string | null;
  decidedAt: number | null;
}

/** What a person search matches: the name in part (case-insensitive), or an exact UUID, FASC-N or serial (hex). */
export interface CardSearch {
  name: string;
  exact: string | null;
  /** A whole e-mail address, lower case: the card certificate's (cards.email), exact match. */
  email: string | null;
}

/** Supervised issuance: the key the phone asked a certificate for, and an agent's affirmation of it. */
export interface EnrollmentSupervision {
  /** Fingerprint of the key of the phone's latest redeem (contracts/key-fingerprint.ts); null before one. */
  keyFingerprint: string | null;
  /** The fingerprint an agent affirmed (equal to keyFingerprint when it still counts). */
  affirmedFingerprint: string | null;
  affirmedByCardId: string | null;
  affirmedAt: number | null;
}

/** An enrollment with its supervision, as one read of its row returns them (AgentStorage.findSupervisedEnrollment). */
export interface SupervisedEnrollment {
  enrollment: EnrollmentRecord;
  supervision: EnrollmentSupervision;
}

/** An enrollment in the live queue, with who it is for, where, and the phone's report. */
export interface QueueRow {
  enrollment: EnrollmentRecord;
  personName: string;
  kioskId: string | null;
  device: { platform: string | null; model: string | null };
  supervision: EnrollmentSupervision;
}

export interface AgentStorage {
  /** The roles held by any of these names of one card. */
  findAgentRoles(identities: readonly AgentIdentityKey[]): Promise<AgentRole[]>;
  listAgentRoles(): Promise<AgentRoleGrant[]>;
  /** Grants a role with its audit row; false (nothing written) when that name already holds it. */
  grantAgentRole(grant: AgentRoleGrant, audit: AuditEntryInput): Promise<boolean>;
  /** Withdraws a role with its audit row; false (nothing written) when that name did not hold it. */
  withdrawAgentRole(identity: AgentIdentityKey, role: AgentRole, audit: AuditEntryInput): Promise<boolean>;
  /**
   * A verified agent answer: marks the challenge used, upserts the card, inserts the agent session and the audit
   * row, in one transaction. The card id, or null when the challenge was already used (nothing written).
   */
  openAgentSession(
    challengeId: string,
    at: number,
    card: CardRecord,
    session: Omit<AgentSessionRecord, 'cardId'>,
    audit: AuditFor<string>,
  ): Promise<string | null>;
  findAgentSessionByTokenHash(hash: string): Promise<AgentSessionRecord | null>;
  /** Moves the idle expiry forward, only while the session is live at `at`; false: it is not (nothing written). */
  renewAgentSession(id: string, at: number, idleExpiresAt: number): Promise<boolean>;
  /** Ends a live session (sign-out) with its audit row; false when it had already ended. */
  endAgentSession(id: string, at: number, audit: AuditEntryInput): Promise<boolean>;
  /** Cards matching the search, by name, at most `limit`. */
  searchCards(search: CardSearch, limit: number): Promise<CardRecord[]>;
  insertRevocationRequest(request: RevocationRequestRecord, audit: AuditEntryInput): Promise<void>;
  findRevocationRequest(id: string): Promise<RevocationRequestRecord | null>;
  /** Oldest first, at most `limit`. */
  listRevocationRequests(status: RevocationRequestStatus, limit: number): Promise<RevocationRequestRecord[]>;
  /**
   * `from` → `to` by `byCardId`, with its audit row, only while the request is in `from` and no other agent claimed
   * it; false when another won (nothing written).
   */
  moveRevocationRequest(
    id: string,
    move: { from: RevocationRequestStatus; to: RevocationRequestStatus; byCardId: string; at: number },
    audit: AuditEntryInput,
  ): Promise<boolean>;
  /**
   * The live queue: enrollments awaiting their phone that started after `since`, and those finished (completed,
   * burned, card-revoked) after `doneSince`; newest first, at most `limit`.
   */
  listEnrollmentQueue(since: number, doneSince: number, limit: number): Promise<QueueRow[]>;
  /**
   * Retention (issuer/maintenance/): deletes at most `limit` agent sessions that ended (signed out, or past their idle
   * or overall expiry) before `sessionsBefore`, and at most `limit` decided revocation requests (approved, rejected)
   * decided before `requestsBefore`; with one audit row (its counts) when anything was deleted.
   */
  purgeAgentRecords(
    sessionsBefore: number,
    requestsBefore: number,
    limit: number,
    audit: AuditFor<AgentPurgeResult>,
  ): Promise<AgentPurgeResult>;
  findEnrollmentSupervision(enrollmentId: string): Promise<EnrollmentSupervision | null>;
  /** The enrollment and its supervision from one read of its row (the kiosk's status needs both). */
  findSupervisedEnrollment(enrollmentId: string): Promise<SupervisedEnrollment | null>;
  /**
   * The phone's redeem waits for an agent: records the fingerprint of its key, with the audit row, only while the
   * enrollment awaits its phone and the fingerprint differs from the one recorded (a new key clears an earlier
   * affirmation). False: nothing written (the same key polling again).
   */
  requestAffirmation(enrollmentId: string, fingerprint: string, audit: AuditEntryInput): Promise<boolean>;
  /**
   * An agent affirms the phone's key: only while the enrollment awaits its phone, the recorded fingerprint is
   * `fingerprint` and nobody affirmed it yet, with the audit row. False: another agent came first, or it changed.
   */
  affirmEnrollment(
    enrollmentId: string,
    affirmation: { fingerprint: string; byCardId: string; at: number },
    audit: AuditEntryInput,
  ): Promise<boolean>;
}

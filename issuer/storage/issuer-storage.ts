// The one storage interface of the issuer service. SQLite implements it for the embedded default; a PostgreSQL
// implementation comes later, so every method is async and every compound change is one call (one transaction).
// Every state change takes the audit row that records it and writes both in the SAME transaction: a change without
// its audit row (or an audit row for a change that did not happen) cannot exist. `AuditFor` lets the row depend on
// the change's result (e.g. the card id an upsert settled on). Times are milliseconds since the epoch. Secrets are
// never stored: only hashes (see issuer/secrets.ts).
export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'token-issued';

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
  createdAt: number;
  expiresAt: number;
  userCodeFailures: number;
}

export type EnrollmentStatusValue = 'awaiting-phone' | 'completed' | 'burned';

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
}

export interface DerivedCertificateRecord {
  serialNumberHex: string;
  cardId: string;
  deviceAuthorizationId: string;
  enrollmentId: string;
  certificateDer: Uint8Array;
  notBefore: number;
  notAfter: number;
  issuedAt: number;
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

export interface AuditEntry extends AuditEntryInput {
  sequence: number;
}

/** The audit row of a change, fixed or computed from the change's result inside the transaction. */
export type AuditFor<R> = AuditEntryInput | ((result: R) => AuditEntryInput);

/** Thrown (as `error.code`) when the database stayed locked by other processes past the retry deadline. */
export const STORAGE_BUSY = 'storage-busy';

export interface IssuerStorage {
  // device authorization (RFC 8628)
  /** Inserts the record with its audit row; throws (nothing written) on a duplicate code hash. */
  insertDeviceAuthorization(record: DeviceAuthorizationRecord, audit: AuditEntryInput): Promise<void>;
  findDeviceAuthorizationByDeviceCodeHash(hash: string): Promise<DeviceAuthorizationRecord | null>;
  findDeviceAuthorizationByUserCodeHash(hash: string): Promise<DeviceAuthorizationRecord | null>;
  findDeviceAuthorizationByAccessTokenHash(hash: string): Promise<DeviceAuthorizationRecord | null>;
  /** Records a token poll and the (possibly raised) interval (not audited: polling is not a step). */
  recordTokenPoll(id: string, at: number, intervalSeconds: number): Promise<void>;
  /** approved → token-issued (and the poll recorded) with its audit row, only if still approved. False: someone else won, nothing written. */
  issueAccessToken(id: string, token: { hash: string; expiresAt: number; polledAt: number }, audit: AuditEntryInput): Promise<boolean>;

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
    challengeId: string, at: number, card: CardRecord, session: Omit<KioskSessionRecord, 'cardId'>, audit: AuditFor<string>,
  ): Promise<string | null>;
  findCard(id: string): Promise<CardRecord | null>;
  findKioskSessionByTokenHash(hash: string): Promise<KioskSessionRecord | null>;
  /** Adds one failed user_code attempt with its audit row; at `maxFailures` the session ends. Returns the new count. */
  recordUserCodeFailure(sessionId: string, maxFailures: number, at: number, audit: AuditEntryInput): Promise<number>;

  // approve + enrollments
  /** pending → approved for the card, the enrollment inserted and the audit row, in one transaction. False if no longer pending. */
  approveDeviceAuthorization(deviceAuthorizationId: string, enrollment: EnrollmentRecord, audit: AuditEntryInput): Promise<boolean>;
  findEnrollment(id: string): Promise<EnrollmentRecord | null>;
  /** New OTP hash + expiry, failures reset, with its audit row, only while awaiting the phone. */
  replaceEnrollmentOtp(id: string, otpHash: string, otpExpiresAt: number, audit: AuditEntryInput): Promise<boolean>;
  /** Adds one wrong OTP with its audit row; at `maxFailures` the enrollment is burned and its device authorization denied. */
  recordOtpFailure(id: string, maxFailures: number, audit: AuditFor<OtpFailureResult>): Promise<OtpFailureResult>;
  /**
   * awaiting-phone → completed, only if the OTP hash still matches (no refresh, burn or other redemption came
   * first), with the derived certificate and the audit row, in one transaction. False: nothing written.
   */
  completeEnrollment(id: string, otpHash: string, certificate: DerivedCertificateRecord, audit: AuditEntryInput): Promise<boolean>;
  findDerivedCertificate(serialNumberHex: string): Promise<DerivedCertificateRecord | null>;

  // audit
  /** An audit row on its own: for refusals that change nothing. */
  appendAudit(entry: AuditEntryInput): Promise<void>;
  listAudit(afterSequence: number, limit: number): Promise<AuditEntry[]>;

  close(): Promise<void>;
}

export interface OtpFailureResult { failures: number; burned: boolean }

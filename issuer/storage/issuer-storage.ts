// The one storage interface of the issuer service. SQLite implements it for the embedded default; a PostgreSQL
// implementation comes later, so every method is async and every compound change is one call (one transaction).
// Times are milliseconds since the epoch. Secrets are never stored: only hashes (see issuer/secrets.ts).

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

/** `issuing` is internal: the enrollment is claimed while its certificate is being signed. */
export type EnrollmentStatusValue = 'awaiting-phone' | 'issuing' | 'completed' | 'burned';

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

export interface IssuerStorage {
  // device authorization (RFC 8628)
  insertDeviceAuthorization(record: DeviceAuthorizationRecord): Promise<void>;
  findDeviceAuthorizationByDeviceCodeHash(hash: string): Promise<DeviceAuthorizationRecord | null>;
  findDeviceAuthorizationByUserCodeHash(hash: string): Promise<DeviceAuthorizationRecord | null>;
  findDeviceAuthorizationByAccessTokenHash(hash: string): Promise<DeviceAuthorizationRecord | null>;
  /** Records a token poll and the (possibly raised) interval. */
  recordTokenPoll(id: string, at: number, intervalSeconds: number): Promise<void>;
  /** approved → token-issued, only if still approved. Returns false when someone else won. */
  issueAccessToken(id: string, accessTokenHash: string, expiresAt: number): Promise<boolean>;

  // PKI-AUTH
  insertChallenge(record: ChallengeRecord): Promise<void>;
  findChallenge(id: string): Promise<ChallengeRecord | null>;
  /** Marks the challenge used, only if unused. Returns false when it was already used (replay). */
  consumeChallenge(id: string, at: number): Promise<boolean>;
  /** Inserts the card (or refreshes it when issuer + serial are known) and returns its id. */
  upsertCard(record: CardRecord): Promise<string>;
  findCard(id: string): Promise<CardRecord | null>;
  insertKioskSession(record: KioskSessionRecord): Promise<void>;
  findKioskSessionByTokenHash(hash: string): Promise<KioskSessionRecord | null>;
  /** Adds one failed user_code attempt; returns the new count. */
  recordUserCodeFailure(sessionId: string): Promise<number>;
  endKioskSession(sessionId: string, at: number): Promise<void>;

  // approve + enrollments
  /** pending → approved for the card, and the enrollment inserted, in one transaction. False if no longer pending. */
  approveDeviceAuthorization(deviceAuthorizationId: string, enrollment: EnrollmentRecord): Promise<boolean>;
  findEnrollment(id: string): Promise<EnrollmentRecord | null>;
  /** New OTP hash + expiry, failures reset, only while awaiting the phone. */
  replaceEnrollmentOtp(id: string, otpHash: string, otpExpiresAt: number): Promise<boolean>;
  /** Adds one wrong OTP; at `maxFailures` the enrollment is burned and its device authorization denied. */
  recordOtpFailure(id: string, maxFailures: number): Promise<{ failures: number; burned: boolean }>;
  /** awaiting-phone → issuing (claim), only if the OTP hash still matches. */
  claimEnrollment(id: string, otpHash: string): Promise<boolean>;
  /** issuing → awaiting-phone when issuance failed. */
  releaseEnrollment(id: string): Promise<void>;
  /** issuing → completed, with the derived certificate stored, in one transaction. */
  completeEnrollment(id: string, certificate: DerivedCertificateRecord): Promise<void>;
  findDerivedCertificate(serialNumberHex: string): Promise<DerivedCertificateRecord | null>;

  // audit
  appendAudit(entry: AuditEntryInput): Promise<void>;
  listAudit(afterSequence: number, limit: number): Promise<AuditEntry[]>;

  close(): Promise<void>;
}

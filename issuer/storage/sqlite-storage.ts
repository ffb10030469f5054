// SQLite implementation of IssuerStorage (better-sqlite3, WAL). Statements are prepared once; every state change
// and its audit row run in one BEGIN IMMEDIATE transaction (one commit per request, and the write lock taken up
// front, so a transaction never fails halfway on a lock another process holds); state changes are conditional
// UPDATEs so two racing requests, in this process or another one on the same file, cannot both win.
// Several processes may share the file: busy answers are retried asynchronously (sqlite-busy-retry.ts).
import { searchableCardEmail } from '../notifications/recipient.ts';
import Database from 'better-sqlite3';
import { PURGE_BATCH_ROWS } from './issuer-storage.ts';
import { PURGE_PICK_DEVICES, PURGE_PICK_ENROLLMENTS, PURGE_PICK_SESSIONS } from './purge-picks.ts';
import type {
  ApproveResult,
  AuditEntry,
  AuditEntryInput,
  AuditFor,
  CardRecord,
  CardRevocationResult,
  ChallengeRecord,
  CompleteEnrollmentResult,
  DeviceAuthorizationRecord,
  EnrollmentRecord,
  IssuerStorage,
  KioskSessionRecord,
  NewDerivedCertificate,
  NotificationInput,
  NotificationSettlement,
  OtpFailureResult,
  PurgeResult,
  SupersedeAudit,
  UserCodeGuessLimits,
  UserCodeGuessVerdict,
} from './issuer-storage.ts';
import { openLifecycleStorage, toDerivedCertificate } from './sqlite-lifecycle.ts';
import { DEFAULT_BUSY_RETRY, runWithBusyRetry } from './sqlite-busy-retry.ts';
import { startCheckpointer } from './sqlite-checkpointer.ts';
import type { BusyRetryPolicy } from './sqlite-busy-retry.ts';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';
import { sqliteAgentStorage } from './sqlite-agent.ts';
import { sqliteEligibilityStorage } from './sqlite-eligibility.ts';
import { sqlitePcEnrollmentStorage } from './sqlite-pc-enrollment.ts';
import { prepareOutbox } from './sqlite-outbox.ts';
import { auditChainLink, prepareAuditChain, sealAuditGenesis } from './sqlite-audit-chain.ts';
import { prepareAuditSearch } from './sqlite-audit-search.ts';
import { sqliteKioskStorage } from './sqlite-kiosks.ts';

type Row = Record<string, unknown>;

const str = (row: Row, key: string): string => {
  const value = row[key];
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
};
const num = (row: Row, key: string): number => Number(row[key]);
const strOrNull = (row: Row, key: string): string | null => (row[key] === null ? null : str(row, key));
const numOrNull = (row: Row, key: string): number | null => (row[key] === null ? null : Number(row[key]));
// better-sqlite3 hands each BLOB back as a fresh Buffer (a Uint8Array): no second copy needed.
const bytes = (row: Row, key: string): Uint8Array => row[key] as Buffer;

export function toDeviceAuthorization(row: Row): DeviceAuthorizationRecord {
  return {
    id: str(row, 'id'),
    deviceCodeHash: str(row, 'device_code_hash'),
    userCodeHash: str(row, 'user_code_hash'),
    clientId: str(row, 'client_id'),
    status: str(row, 'status') as DeviceAuthorizationRecord['status'],
    createdAt: num(row, 'created_at'),
    expiresAt: num(row, 'expires_at'),
    intervalSeconds: num(row, 'interval_seconds'),
    lastPollAt: numOrNull(row, 'last_poll_at'),
    cardId: strOrNull(row, 'card_id'),
    enrollmentId: strOrNull(row, 'enrollment_id'),
    accessTokenHash: strOrNull(row, 'access_token_hash'),
    accessTokenExpiresAt: numOrNull(row, 'access_token_expires_at'),
    device: {
      platform: strOrNull(row, 'device_platform'),
      model: strOrNull(row, 'device_model'),
      appName: strOrNull(row, 'app_name'),
      appVersion: strOrNull(row, 'app_version'),
    },
    pairing:
      row.pairing_session_id === null
        ? null
        : { sessionId: str(row, 'pairing_session_id'), shownAt: num(row, 'pairing_shown_at') },
  };
}

export function toChallenge(row: Row): ChallengeRecord {
  return {
    id: str(row, 'id'),
    challenge: bytes(row, 'challenge'),
    kioskId: strOrNull(row, 'kiosk_id'),
    createdAt: num(row, 'created_at'),
    expiresAt: num(row, 'expires_at'),
    usedAt: numOrNull(row, 'used_at'),
  };
}

export function toCard(row: Row): CardRecord {
  return {
    id: str(row, 'id'),
    issuerDn: str(row, 'issuer_dn'),
    serialNumberHex: str(row, 'serial_number_hex'),
    uuid: strOrNull(row, 'uuid'),
    fascnHex: strOrNull(row, 'fascn_hex'),
    commonName: str(row, 'common_name'),
    notAfter: num(row, 'not_after'),
    certificateDer: bytes(row, 'certificate_der'),
  };
}

export function toKioskSession(row: Row): KioskSessionRecord {
  return {
    id: str(row, 'id'),
    tokenHash: str(row, 'token_hash'),
    cardId: str(row, 'card_id'),
    kioskId: strOrNull(row, 'kiosk_id'),
    signedKioskId: strOrNull(row, 'signed_kiosk_id'),
    createdAt: num(row, 'created_at'),
    expiresAt: num(row, 'expires_at'),
    userCodeFailures: num(row, 'user_code_failures'),
  };
}

export function toEnrollment(row: Row): EnrollmentRecord {
  return {
    id: str(row, 'id'),
    deviceAuthorizationId: str(row, 'device_authorization_id'),
    cardId: str(row, 'card_id'),
    kioskSessionId: str(row, 'kiosk_session_id'),
    status: str(row, 'status') as EnrollmentRecord['status'],
    otpHash: str(row, 'otp_hash'),
    otpExpiresAt: num(row, 'otp_expires_at'),
    otpFailures: num(row, 'otp_failures'),
    createdAt: num(row, 'created_at'),
    completedAt: numOrNull(row, 'completed_at'),
    derivedCertificateSerialHex: strOrNull(row, 'derived_certificate_serial_hex'),
    phoneFetchedAt: numOrNull(row, 'phone_fetched_at'),
    kioskId: strOrNull(row, 'kiosk_id'),
  };
}

export const toAuditEntry = (row: Row): AuditEntry => ({
  sequence: num(row, 'sequence'),
  at: num(row, 'at'),
  event: str(row, 'event'),
  outcome: str(row, 'outcome') as AuditEntry['outcome'],
  code: strOrNull(row, 'code'),
  details: JSON.parse(str(row, 'details')) as AuditEntry['details'],
  chain: auditChainLink(row),
});

/**
 * The oldest rows in sequence order, up to the first that is not old enough: the log is only ever cut at a sequence,
 * so a row written with an earlier clock after a later one is never skipped.
 */
export function oldEnoughPrefix(rows: AuditEntry[], before: number): AuditEntry[] {
  const young = rows.findIndex((row) => row.at >= before);
  return young < 0 ? rows : rows.slice(0, young);
}

/**
 * Applies missing migrations under the write lock, so processes opening a new file together apply each once. In
 * ascending version order, skipping none: a lower version that lands after a higher one (branches merged out of
 * order) is still applied, so migrations must not depend on one another beyond their version order.
 */
function applyMigrations(db: Database.Database): void {
  // A migration that back-fills a large table reads it by random keys (13: 1,000,000 enrollments' sessions and
  // device authorizations): 104 s through better-sqlite3's default 16 MB cache (two of its three indexes then), 60 s
  // with all three through 256 MB (bench/issuer-purge.ts, 2 cores at load 12). The larger cache for the migrations
  // only: pages are allocated as read, and given back when the size is restored.
  const cacheSize = Number(db.pragma('cache_size', { simple: true }));
  db.pragma(`cache_size = ${MIGRATION_CACHE_KIB}`);
  try {
    applyPendingMigrations(db);
  } finally {
    db.pragma(`cache_size = ${cacheSize}`);
  }
}

/** SQLite's cache while migrations run: 256 MB (a negative size is in KiB). */
const MIGRATION_CACHE_KIB = -262_144;

function applyPendingMigrations(db: Database.Database): void {
  db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((row) => num(row, 'version')),
    );
    // Ascending by version whatever the list's order, and none skipped: migrations written in parallel land with gaps.
    for (const migration of [...SQLITE_MIGRATIONS].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.description,
        Date.now(),
      );
    }
    // Once, with migration 8: the rows written before the chain began get their seal (issuer/audit/audit-chain.ts).
    sealAuditGenesis(db, Date.now(), toAuditEntry);
  }).immediate();
}

/** Opening (WAL switch, migrations) happens once at start: a synchronous wait for the lock is fine there. */
const OPEN_BUSY_TIMEOUT_MS = 10_000;

/** SQLite's own default threshold, used again if the checkpoint worker fails. */
const AUTOCHECKPOINT_PAGES = 1000;

function openDatabase(file: string, backgroundCheckpoints: boolean): Database.Database {
  const db = new Database(file, { timeout: OPEN_BUSY_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL: a commit is atomic and survives a process crash; only a power cut can lose the latest commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // After a checkpoint the log restarts from its beginning; this caps the file left behind by a burst.
  db.pragma('journal_size_limit = 67108864');
  applyMigrations(db);
  // From now on a busy database never blocks the event loop: sqlite-busy-retry.ts waits asynchronously.
  db.pragma('busy_timeout = 0');
  db.pragma(`wal_autocheckpoint = ${backgroundCheckpoints ? 0 : AUTOCHECKPOINT_PAGES}`);
  return db;
}

function prepareStatements(db: Database.Database) {
  return {
    insertDevice:
      db.prepare(`INSERT INTO device_authorizations (id, device_code_hash, user_code_hash, client_id, status,
      created_at, expires_at, interval_seconds, last_poll_at, card_id, enrollment_id, access_token_hash, access_token_expires_at,
      device_platform, device_model, app_name, app_version, pairing_session_id, pairing_shown_at)
      VALUES (@id, @deviceCodeHash, @userCodeHash, @clientId, @status, @createdAt, @expiresAt, @intervalSeconds,
      @lastPollAt, @cardId, @enrollmentId, @accessTokenHash, @accessTokenExpiresAt,
      @platform, @model, @appName, @appVersion, @pairingSessionId, @pairingShownAt)`),
    deviceById: db.prepare('SELECT * FROM device_authorizations WHERE id = ?'),
    showPairing: db.prepare(`UPDATE device_authorizations SET pairing_session_id = ?, pairing_shown_at = ?
      WHERE id = ? AND status = 'pending'`),
    denyPairing: db.prepare(`UPDATE device_authorizations SET status = 'denied'
      WHERE id = ? AND status = 'pending' AND pairing_session_id = ?`),
    deviceByDeviceCode: db.prepare('SELECT * FROM device_authorizations WHERE device_code_hash = ?'),
    deviceByUserCode: db.prepare('SELECT * FROM device_authorizations WHERE user_code_hash = ?'),
    deviceByAccessToken: db.prepare('SELECT * FROM device_authorizations WHERE access_token_hash = ?'),
    recordPoll: db.prepare('UPDATE device_authorizations SET last_poll_at = ?, interval_seconds = ? WHERE id = ?'),
    issueToken: db.prepare(`UPDATE device_authorizations SET status = 'token-issued', access_token_hash = ?,
      access_token_expires_at = ?, last_poll_at = ? WHERE id = ? AND status = 'approved'`),
    approveDevice: db.prepare(`UPDATE device_authorizations SET status = 'approved', card_id = ?, enrollment_id = ?
      WHERE id = ? AND status = 'pending'`),
    denyDevice: db.prepare(`UPDATE device_authorizations SET status = 'denied' WHERE id = ?`),
    insertChallenge: db.prepare(`INSERT INTO challenges (id, challenge, kiosk_id, created_at, expires_at, used_at)
      VALUES (?, ?, ?, ?, ?, ?)`),
    findChallenge: db.prepare('SELECT * FROM challenges WHERE id = ?'),
    consumeChallenge: db.prepare('UPDATE challenges SET used_at = ? WHERE id = ? AND used_at IS NULL'),
    // Portable upsert (SQLite ≥ 3.35 and PostgreSQL): one statement, and the id of the row that stays.
    upsertCard:
      db.prepare(`INSERT INTO cards (id, issuer_dn, serial_number_hex, uuid, fascn_hex, common_name, not_after,
      certificate_der, email) VALUES (@id, @issuerDn, @serialNumberHex, @uuid, @fascnHex, @commonName, @notAfter,
      @certificateDer, @email)
      ON CONFLICT (issuer_dn, serial_number_hex) DO UPDATE SET uuid = excluded.uuid, fascn_hex = excluded.fascn_hex,
      common_name = excluded.common_name, not_after = excluded.not_after, certificate_der = excluded.certificate_der,
      email = excluded.email RETURNING id`),
    findCard: db.prepare('SELECT * FROM cards WHERE id = ?'),
    insertSession:
      db.prepare(`INSERT INTO kiosk_sessions (id, token_hash, card_id, kiosk_id, signed_kiosk_id, created_at,
      expires_at, user_code_failures) VALUES (@id, @tokenHash, @cardId, @kioskId, @signedKioskId, @createdAt, @expiresAt,
      @userCodeFailures)`),
    sessionByToken: db.prepare('SELECT * FROM kiosk_sessions WHERE token_hash = ?'),
    sessionFailures: db.prepare('SELECT user_code_failures FROM kiosk_sessions WHERE id = ?'),
    cardGuessWindow: db.prepare('SELECT user_code_failures, user_code_window_start FROM cards WHERE id = ?'),
    restartCardGuessWindow: db.prepare(
      'UPDATE cards SET user_code_failures = 0, user_code_window_start = ? WHERE id = ?',
    ),
    takeCardGuess: db.prepare('UPDATE cards SET user_code_failures = user_code_failures + 1 WHERE id = ?'),
    takeSessionGuess: db.prepare('UPDATE kiosk_sessions SET user_code_failures = user_code_failures + 1 WHERE id = ?'),
    releaseCardGuess: db.prepare('UPDATE cards SET user_code_failures = MAX(user_code_failures - 1, 0) WHERE id = ?'),
    releaseSessionGuess: db.prepare(
      'UPDATE kiosk_sessions SET user_code_failures = MAX(user_code_failures - 1, 0) WHERE id = ?',
    ),
    endCardSessions: db.prepare('UPDATE kiosk_sessions SET expires_at = ? WHERE card_id = ? AND expires_at > ?'),
    denyCardDevices: db.prepare(`UPDATE device_authorizations SET status = 'denied' WHERE id IN
      (SELECT device_authorization_id FROM enrollments WHERE card_id = ? AND status = 'awaiting-phone')`),
    revokeCardEnrollments:
      db.prepare(`UPDATE enrollments SET status = 'card-revoked' WHERE card_id = ? AND status = 'awaiting-phone'
      RETURNING id`),
    sessionApprovals: db.prepare('SELECT COUNT(*) AS approvals FROM enrollments WHERE kiosk_session_id = ?'),
    endSession: db.prepare('UPDATE kiosk_sessions SET expires_at = ? WHERE id = ? AND expires_at > ?'),
    insertEnrollment:
      db.prepare(`INSERT INTO enrollments (id, device_authorization_id, card_id, kiosk_session_id, status,
      otp_hash, otp_expires_at, otp_failures, created_at, completed_at, derived_certificate_serial_hex, phone_fetched_at,
      kiosk_id) VALUES (@id, @deviceAuthorizationId, @cardId, @kioskSessionId, @status, @otpHash, @otpExpiresAt,
      @otpFailures, @createdAt, @completedAt, @derivedCertificateSerialHex, @phoneFetchedAt, @kioskId)`),
    findEnrollment: db.prepare('SELECT * FROM enrollments WHERE id = ?'),
    phoneFetched: db.prepare('UPDATE enrollments SET phone_fetched_at = ? WHERE id = ? AND phone_fetched_at IS NULL'),
    // The failure count stays: a refresh gives a new code, not new tries (otp.maxAttempts bounds the enrollment).
    replaceOtp: db.prepare(`UPDATE enrollments SET otp_hash = ?, otp_expires_at = ?
      WHERE id = ? AND status = 'awaiting-phone'`),
    // A completed enrollment counts too: its wrong OTPs end the repeated delivery (redeliver-issued.ts).
    otpFailure: db.prepare(`UPDATE enrollments SET otp_failures = otp_failures + 1
      WHERE id = ? AND status IN ('awaiting-phone', 'completed')
      RETURNING otp_failures, device_authorization_id, status`),
    enrollmentStatus: db.prepare('SELECT status, otp_failures FROM enrollments WHERE id = ?'),
    burn: db.prepare(`UPDATE enrollments SET status = 'burned' WHERE id = ? AND status = 'awaiting-phone'`),
    complete:
      db.prepare(`UPDATE enrollments SET status = 'completed', completed_at = ?, derived_certificate_serial_hex = ?
      WHERE id = ? AND status = 'awaiting-phone' AND otp_hash = ?`),
    listAudit: db.prepare('SELECT * FROM audit_log WHERE sequence > ? ORDER BY sequence LIMIT ?'),
    oldestAudit: db.prepare('SELECT * FROM audit_log ORDER BY sequence LIMIT ?'),
    insertAuditExport: db.prepare(`INSERT INTO audit_exports (up_to_sequence, rows, file, sha256, exported_at)
      VALUES (@upToSequence, @rows, @file, @sha256, @at)`),
    dropAuditUpTo: db.prepare('DELETE FROM audit_log WHERE sequence <= ?'),
    takeLease: db.prepare(`INSERT INTO job_leases (name, holder, expires_at) VALUES (@name, @holder, @expiresAt)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= @at`),
    // Each purge statement deletes at most a batch, so the write lock is never held for long.
    purgeChallenges: db.prepare(
      'DELETE FROM challenges WHERE id IN (SELECT id FROM challenges WHERE expires_at < ? LIMIT ?)',
    ),
    purgeEnrollments: db.prepare(
      `DELETE FROM enrollments WHERE id IN (${PURGE_PICK_ENROLLMENTS.replace(/\$1/g, '@cutoff')} LIMIT @batch)`,
    ),
    purgeDevices: db.prepare(
      `DELETE FROM device_authorizations WHERE id IN (${PURGE_PICK_DEVICES.replace(/\$1/g, '@cutoff')} LIMIT @batch)`,
    ),
    purgeSessions: db.prepare(
      `DELETE FROM kiosk_sessions WHERE id IN (${PURGE_PICK_SESSIONS.replace(/\$1/g, '@cutoff')} LIMIT @batch)`,
    ),
  };
}

/** A Uint8Array as better-sqlite3 binds BLOBs (a Buffer), without copying the bytes. */
const blob = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Rolls back an enrollment's completion whose CA generation was retired meanwhile. */
class GenerationRetired extends Error {}

const resolveAudit = <R>(audit: AuditFor<R>, result: R): AuditEntryInput =>
  typeof audit === 'function' ? audit(result) : audit;

export interface SqliteStorageOptions {
  /** How long a write waits (asynchronously) for a lock held by another process before failing. */
  busyRetry?: BusyRetryPolicy;
  /** Checkpoint the WAL from a worker thread every this many ms (default 200); 0 leaves it to SQLite's commits. */
  checkpointIntervalMs?: number;
}

/** The database's name in the issuer's data directory (`dck issuer` and `dck admin` open it there). */
export const ISSUER_DATABASE_FILE = 'issuer.sqlite';

const DEFAULT_CHECKPOINT_INTERVAL_MS = 200;
export function openSqliteStorage(file: string, options: SqliteStorageOptions = {}): IssuerStorage {
  const checkpointIntervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  const db = openDatabase(file, checkpointIntervalMs > 0);
  const checkpointer =
    checkpointIntervalMs > 0
      ? startCheckpointer(file, {
          intervalMs: checkpointIntervalMs,
          // Without the worker the log must not grow for ever: SQLite's commits take the job back.
          onFailure: (error) => {
            if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
            process.emitWarning(
              `issuer database checkpoint worker failed, back to checkpoints on commit: ${error.message}`,
            );
          },
        })
      : null;
  const q = prepareStatements(db);
  // Inside any write transaction below, `outbox.enqueue(message)` queues the message reporting that change.
  const outbox = prepareOutbox(db);
  const policy = options.busyRetry ?? DEFAULT_BUSY_RETRY;
  const run = <T>(attempt: () => T): Promise<T> => runWithBusyRetry(attempt, policy);
  /** A write waits (asynchronously) while the checkpoint worker restarts the log. */
  const runWrite = <T>(attempt: () => T): Promise<T> => {
    const gate = checkpointer?.writeGate() ?? null;
    return gate === null ? run(attempt) : gate.then(() => runWrite(attempt));
  };
  const one = <T>(row: unknown, map: (row: Row) => T): T | null => (row === undefined ? null : map(row as Row));
  // Every audit row of this storage instance goes to its own hash chain, in the transaction of its change.
  const chain = prepareAuditChain(db, toAuditEntry);
  const searchAudit = prepareAuditSearch(db, toAuditEntry);
  const audit = (entry: AuditEntryInput): void => {
    chain.append(entry);
  };
  /** A write transaction: BEGIN IMMEDIATE takes the write lock first, so a busy answer comes before any change. */
  const write = <A extends unknown[], R>(work: (...args: A) => R): ((...args: A) => R) => {
    const transaction = db.transaction(work);
    return (...args: A) => transaction.immediate(...args);
  };

  // A row on its own still needs a transaction: the chain's head read, the row and the head's move are one step.
  const auditAlone = write((entry: AuditEntryInput): void => {
    audit(entry);
  });

  const insertDevice = write((record: DeviceAuthorizationRecord, entry: AuditEntryInput) => {
    const { device, pairing, ...columns } = record;
    q.insertDevice.run({
      ...columns,
      ...device,
      pairingSessionId: pairing?.sessionId ?? null,
      pairingShownAt: pairing?.shownAt ?? null,
    });
    audit(entry);
  });

  /** A conditional change and its audit row: the row only when the change happened. */
  const changeAudited = write((change: () => number, entry: AuditEntryInput): boolean => {
    if (change() !== 1) return false;
    audit(entry);
    return true;
  });

  const issueToken = write(
    (id: string, token: { hash: string; expiresAt: number; polledAt: number }, entry: AuditEntryInput) => {
      if (q.issueToken.run(token.hash, token.expiresAt, token.polledAt, id).changes !== 1) return false;
      audit(entry);
      return true;
    },
  );

  const consumeChallenge = write((id: string, at: number, entry: AuditEntryInput) => {
    if (q.consumeChallenge.run(at, id).changes !== 1) return false;
    audit(entry);
    return true;
  });

  const upsertCard = (card: CardRecord): string =>
    str(
      q.upsertCard.get({
        ...card,
        certificateDer: blob(card.certificateDer),
        email: searchableCardEmail(card.certificateDer),
      }) as Row,
      'id',
    );

  const openSession = write(
    (
      challengeId: string,
      at: number,
      card: CardRecord,
      session: Omit<KioskSessionRecord, 'cardId'>,
      entry: AuditFor<string>,
    ): string | null => {
      if (q.consumeChallenge.run(at, challengeId).changes !== 1) return null;
      const cardId = upsertCard(card);
      q.insertSession.run({ ...session, cardId });
      audit(resolveAudit(entry, cardId));
      return cardId;
    },
  );

  const takeGuess = write(
    (sessionId: string, cardId: string, at: number, limits: UserCodeGuessLimits): UserCodeGuessVerdict => {
      const card = q.cardGuessWindow.get(cardId) as Row | undefined;
      let cardFailures = card === undefined ? 0 : num(card, 'user_code_failures');
      if (card !== undefined && num(card, 'user_code_window_start') <= at - limits.windowMs) {
        q.restartCardGuessWindow.run(at, cardId);
        cardFailures = 0;
      }
      if (cardFailures >= limits.perCard) return 'card-limit';
      const session = q.sessionFailures.get(sessionId) as Row | undefined;
      if (session === undefined || num(session, 'user_code_failures') >= limits.perSession) return 'session-limit';
      q.takeCardGuess.run(cardId);
      q.takeSessionGuess.run(sessionId);
      return 'taken';
    },
  );

  const releaseGuess = (sessionId: string, cardId: string): void => {
    q.releaseCardGuess.run(cardId);
    q.releaseSessionGuess.run(sessionId);
  };
  const releaseGuessAlone = write(releaseGuess);

  const userCodeFailure = write(
    (sessionId: string, maxFailures: number, at: number, entry: AuditEntryInput): number => {
      const row = q.sessionFailures.get(sessionId) as Row | undefined;
      const failures = row === undefined ? 0 : num(row, 'user_code_failures');
      if (failures >= maxFailures) q.endSession.run(at, sessionId, at);
      audit(entry);
      return failures;
    },
  );

  const revokeCard = write(
    (cardId: string, at: number, entry: AuditFor<CardRevocationResult>): CardRevocationResult => {
      const sessionsEnded = q.endCardSessions.run(at, cardId, at).changes;
      q.denyCardDevices.run(cardId);
      const revokedEnrollmentIds = (q.revokeCardEnrollments.all(cardId) as Row[]).map((row) => str(row, 'id'));
      const result = { sessionsEnded, revokedEnrollmentIds };
      audit(resolveAudit(entry, result));
      return result;
    },
  );

  const approve = write(
    (
      deviceAuthorizationId: string,
      enrollment: EnrollmentRecord,
      maxApprovals: number,
      entry: AuditEntryInput,
    ): ApproveResult => {
      // Whatever the outcome, the code typed was not a wrong one: its guess is given back.
      releaseGuess(enrollment.kioskSessionId, enrollment.cardId);
      const approvals = num(q.sessionApprovals.get(enrollment.kioskSessionId) as Row, 'approvals');
      if (approvals >= maxApprovals) return 'session-limit';
      if (q.approveDevice.run(enrollment.cardId, enrollment.id, deviceAuthorizationId).changes !== 1)
        return 'not-pending';
      q.insertEnrollment.run(enrollment);
      audit(entry);
      return 'approved';
    },
  );

  const replaceOtp = write((id: string, otpHash: string, otpExpiresAt: number, entry: AuditEntryInput): boolean => {
    if (q.replaceOtp.run(otpHash, otpExpiresAt, id).changes !== 1) return false;
    audit(entry);
    return true;
  });

  const otpFailure = write((id: string, maxFailures: number, entry: AuditFor<OtpFailureResult>): OtpFailureResult => {
    const counted = q.otpFailure.get(id) as Row | undefined;
    let result: OtpFailureResult;
    if (counted === undefined) {
      // Burned, card-revoked or unknown: count nothing, report what it is.
      const row = q.enrollmentStatus.get(id) as Row | undefined;
      result = {
        failures: row === undefined ? 0 : num(row, 'otp_failures'),
        burned: row !== undefined && str(row, 'status') === 'burned',
      };
    } else {
      const failures = num(counted, 'otp_failures');
      // A completed enrollment is never burned: its certificate was issued and stays what it is.
      const burned = failures >= maxFailures && str(counted, 'status') === 'awaiting-phone';
      if (burned) {
        q.burn.run(id);
        q.denyDevice.run(str(counted, 'device_authorization_id'));
      }
      result = { failures, burned };
    }
    audit(resolveAudit(entry, result));
    return result;
  });

  const { insertCredential, ...lifecycle } = openLifecycleStorage({
    db,
    write,
    run,
    runWrite,
    audit,
    enqueue: (message) => outbox.enqueue(message),
  });

  const complete = write(
    (
      id: string,
      otpHash: string,
      certificate: NewDerivedCertificate,
      entry: AuditEntryInput,
      supersede: SupersedeAudit | undefined,
      notifications: readonly NotificationInput[],
    ): CompleteEnrollmentResult => {
      // The enrollment row first: when it is no longer claimable, nothing else is written.
      if (q.complete.run(certificate.issuedAt, certificate.serialNumberHex, id, otpHash).changes !== 1) {
        return { completed: false, reason: 'not-claimable' };
      }
      const result = insertCredential(certificate, supersede);
      // A retired generation's CA signs no more: undo the enrollment's completion with everything else.
      if (!result.completed) throw new GenerationRetired();
      audit(entry);
      for (const message of notifications) outbox.enqueue(message);
      return result;
    },
  );
  const completeOrRefuse = (...args: Parameters<typeof complete>): CompleteEnrollmentResult => {
    try {
      return complete(...args);
    } catch (error: unknown) {
      if (error instanceof GenerationRetired) return { completed: false, reason: 'generation-retired' };
      throw error;
    }
  };

  const queueNotification = write((message: NotificationInput, entry: AuditEntryInput): boolean => {
    if (!outbox.enqueue(message)) return false;
    audit(entry);
    return true;
  });

  const settleNotification = write(
    (id: string, holder: string, settlement: NotificationSettlement, entry: AuditEntryInput | null): boolean => {
      if (!outbox.settle(id, holder, settlement)) return false;
      if (entry !== null) audit(entry);
      return true;
    },
  );

  const claimNotifications = write((holder: string, at: number, leaseMs: number, limit: number) =>
    outbox.claim(holder, at, leaseMs, limit),
  );

  // Deferred: a read transaction only, one consistent snapshot of the genesis, heads and checkpoints.
  const readChainState = db.transaction(() => chain.state());

  const dropExported = write(
    (
      exported: { upToSequence: number; rows: number; file: string; sha256: string; at: number },
      entry: AuditEntryInput,
    ): void => {
      // The chains must verify up to the cut, and pick up from there afterwards (issuer/README.md).
      chain.checkpointUpTo(exported.upToSequence, exported.at);
      q.insertAuditExport.run(exported);
      const dropped = q.dropAuditUpTo.run(exported.upToSequence).changes;
      // Rows the export file does not hold would be lost: roll everything back instead.
      if (dropped !== exported.rows)
        throw new Error(`audit retention: ${dropped} rows to drop, ${exported.rows} exported`);
      audit(entry);
    },
  );

  const purge = write((cutoff: number, entry: AuditFor<PurgeResult>): PurgeResult => {
    const batch = PURGE_BATCH_ROWS;
    const result: PurgeResult = {
      challenges: q.purgeChallenges.run(cutoff, batch).changes,
      // Enrollments first: device authorizations and sessions go only once nothing refers to them.
      enrollments: q.purgeEnrollments.run({ cutoff, batch }).changes,
      deviceAuthorizations: 0,
      kioskSessions: 0,
    };
    result.deviceAuthorizations = q.purgeDevices.run({ cutoff, batch }).changes;
    result.kioskSessions = q.purgeSessions.run({ cutoff, batch }).changes;
    if (result.challenges + result.enrollments + result.deviceAuthorizations + result.kioskSessions > 0) {
      audit(resolveAudit(entry, result));
    }
    return result;
  });

  return {
    insertDeviceAuthorization: (record, entry) => runWrite(() => insertDevice(record, entry)),
    findDeviceAuthorizationByDeviceCodeHash: (hash) =>
      run(() => one(q.deviceByDeviceCode.get(hash), toDeviceAuthorization)),
    findDeviceAuthorizationByUserCodeHash: (hash) =>
      run(() => one(q.deviceByUserCode.get(hash), toDeviceAuthorization)),
    findDeviceAuthorizationByAccessTokenHash: (hash) =>
      run(() => one(q.deviceByAccessToken.get(hash), toDeviceAuthorization)),
    // Three indexed reads in one call: on SQLite a read costs no round trip, so a join would buy nothing here.
    findRedemptionParties: (accessTokenHash, enrollmentId) =>
      run(() => {
        const device = one(q.deviceByAccessToken.get(accessTokenHash), toDeviceAuthorization);
        if (device === null) return null;
        const enrollment = one(q.findEnrollment.get(enrollmentId), toEnrollment);
        const card = enrollment === null ? null : one(q.findCard.get(enrollment.cardId), toCard);
        return { device, enrollment, card };
      }),
    recordTokenPoll: (id, at, intervalSeconds) =>
      runWrite(() => {
        q.recordPoll.run(at, intervalSeconds, id);
      }),
    issueAccessToken: (id, token, entry) => runWrite(() => issueToken(id, token, entry)),
    findDeviceAuthorization: (id) => run(() => one(q.deviceById.get(id), toDeviceAuthorization)),
    showDevicePairing: (id, pairing, cardId, entry) =>
      runWrite(() =>
        changeAudited(() => {
          releaseGuess(pairing.sessionId, cardId);
          return q.showPairing.run(pairing.sessionId, pairing.shownAt, id).changes;
        }, entry),
      ),
    denyDevicePairing: (id, sessionId, entry) =>
      runWrite(() => changeAudited(() => q.denyPairing.run(id, sessionId).changes, entry)),

    insertChallenge: (r) =>
      runWrite(() => {
        q.insertChallenge.run(r.id, blob(r.challenge), r.kioskId, r.createdAt, r.expiresAt, r.usedAt);
      }),
    findChallenge: (id) => run(() => one(q.findChallenge.get(id), toChallenge)),
    consumeChallenge: (id, at, entry) => runWrite(() => consumeChallenge(id, at, entry)),
    openKioskSession: (challengeId, at, card, session, entry) =>
      runWrite(() => openSession(challengeId, at, card, session, entry)),
    findCard: (id) => run(() => one(q.findCard.get(id), toCard)),
    findKioskSessionByTokenHash: (hash) => run(() => one(q.sessionByToken.get(hash), toKioskSession)),
    takeUserCodeGuess: (sessionId, cardId, at, limits) => runWrite(() => takeGuess(sessionId, cardId, at, limits)),
    releaseUserCodeGuess: (sessionId, cardId) =>
      runWrite(() => {
        releaseGuessAlone(sessionId, cardId);
      }),
    recordUserCodeFailure: (sessionId, maxFailures, at, entry) =>
      runWrite(() => userCodeFailure(sessionId, maxFailures, at, entry)),
    revokeCardSessions: (cardId, at, entry) => runWrite(() => revokeCard(cardId, at, entry)),

    approveDeviceAuthorization: (deviceAuthorizationId, enrollment, maxApprovals, entry) =>
      runWrite(() => approve(deviceAuthorizationId, enrollment, maxApprovals, entry)),
    findEnrollment: (id) => run(() => one(q.findEnrollment.get(id), toEnrollment)),
    recordPhoneFetched: (id, at) => runWrite(() => q.phoneFetched.run(at, id).changes === 1),
    replaceEnrollmentOtp: (id, otpHash, otpExpiresAt, entry) =>
      runWrite(() => replaceOtp(id, otpHash, otpExpiresAt, entry)),
    recordOtpFailure: (id, maxFailures, entry) => runWrite(() => otpFailure(id, maxFailures, entry)),
    completeEnrollment: (id, otpHash, certificate, entry, supersede, notifications = []) =>
      runWrite(() => completeOrRefuse(id, otpHash, certificate, entry, supersede, notifications)),
    ...lifecycle,
    ...sqlitePcEnrollmentStorage(db, {
      write,
      runWrite,
      audit,
      enqueue: (message) => outbox.enqueue(message),
      insertCredential,
    }),

    appendAudit: (entry) =>
      runWrite(() => {
        auditAlone(entry);
      }),
    listAudit: (afterSequence, limit) => run(() => (q.listAudit.all(afterSequence, limit) as Row[]).map(toAuditEntry)),
    searchAudit: (search, limit) => run(() => searchAudit(search, limit)),
    readAuditChainState: () => run(() => readChainState()),
    listAuditBefore: (before, limit) =>
      run(() => oldEnoughPrefix((q.oldestAudit.all(limit) as Row[]).map(toAuditEntry), before)),
    dropExportedAudit: (exported, entry) =>
      runWrite(() => {
        dropExported(exported, entry);
      }),

    takeLease: (name, holder, at, ttlMs) =>
      runWrite(() => q.takeLease.run({ name, holder, expiresAt: at + ttlMs, at }).changes === 1),
    purgeExpired: (cutoff, entry) => runWrite(() => purge(cutoff, entry)),
    ...sqliteEligibilityStorage(db, { run, runWrite, audit, toCard }),
    ...sqliteKioskStorage(db, { run, runWrite, write, audit }),
    ...sqliteAgentStorage(db, {
      write,
      run,
      runWrite,
      audit,
      toCard,
      toEnrollment,
      consumeChallenge: (id, at) => q.consumeChallenge.run(at, id).changes === 1,
      upsertCard,
    }),

    queueNotification: (message, entry) => runWrite(() => queueNotification(message, entry)),
    listRenewalCandidates: (at, thresholdPercent, limit) =>
      run(() => outbox.renewalCandidates(at, thresholdPercent, limit, toDerivedCertificate)),
    claimNotifications: (holder, at, leaseMs, limit) => runWrite(() => claimNotifications(holder, at, leaseMs, limit)),
    settleNotification: (id, holder, settlement, entry) =>
      runWrite(() => settleNotification(id, holder, settlement, entry)),
    listNotifications: (limit) => run(() => outbox.list(limit)),

    close: async () => {
      await checkpointer?.stop();
      db.close();
    },
  };
}

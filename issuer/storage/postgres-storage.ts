// PostgreSQL implementation of IssuerStorage (npm `pg`), for several issuer nodes on one database. The same schema
// (postgres-migrations.ts runs SQLite's migrations), the same conditional UPDATEs, and every change with its audit
// row in one transaction (or, for a one-row change, in one statement: auditedChange, postgres-audit.ts). SQLite
// serialises all writers (BEGIN IMMEDIATE); PostgreSQL runs them side by side at READ COMMITTED, so where a write
// depends on a row read first (a guess count, a session's approvals), that row is read FOR UPDATE: the second of
// two racing transactions waits, then reads what the first committed. Lock order is card → kiosk session
// everywhere, so two of them never wait on each other.
import { searchableCardEmail } from '../notifications/recipient.ts';
import { postgresAgentStorage } from './postgres-agent.ts';
import { PURGE_BATCH_ROWS } from './issuer-storage.ts';
import { PURGE_PICK_DEVICES, PURGE_PICK_ENROLLMENTS, PURGE_PICK_SESSIONS } from './purge-picks.ts';
import type {
  ApproveResult,
  AuditEntryInput,
  AuditFor,
  CardRecord,
  CardRevocationResult,
  CompleteEnrollmentResult,
  DeviceAuthorizationRecord,
  EnrollmentRecord,
  IssuerStorage,
  KioskSessionRecord,
  OtpFailureResult,
  PurgeResult,
  UserCodeGuessLimits,
  UserCodeGuessVerdict,
} from './issuer-storage.ts';
import {
  appendAuditRow,
  auditedChange,
  auditedChangeRow,
  changeWithAuditRow,
  checkpointAuditUpTo,
  readAuditChainState,
  resolveAudit,
} from './postgres-audit.ts';
import { searchAuditRows } from './postgres-audit-search.ts';
import { postgresKioskStorage } from './postgres-kiosks.ts';
import { openPostgresPool } from './postgres-connection.ts';
import type { PostgresPool, PostgresSettings, Row, Sql } from './postgres-connection.ts';
import { postgresEligibilityStorage } from './postgres-eligibility.ts';
import { generationRetiredAt, postgresLifecycleStorage, writeCredential } from './postgres-lifecycle.ts';
import { applyPostgresMigrations } from './postgres-migrations.ts';
import { postgresOutbox } from './postgres-outbox.ts';
import { postgresPcEnrollmentStorage } from './postgres-pc-enrollment.ts';
import { findRedemptionParties } from './postgres-redemption.ts';
import {
  oldEnoughPrefix,
  toAuditEntry,
  toCard,
  toChallenge,
  toDeviceAuthorization,
  toEnrollment,
  toKioskSession,
} from './sqlite-storage.ts';

const DEVICE_COLUMNS = `id, device_code_hash, user_code_hash, client_id, status, created_at, expires_at,
  interval_seconds, last_poll_at, card_id, enrollment_id, access_token_hash, access_token_expires_at, device_platform,
  device_model, app_name, app_version, pairing_session_id, pairing_shown_at`;

function deviceValues(record: DeviceAuthorizationRecord): unknown[] {
  return [
    record.id,
    record.deviceCodeHash,
    record.userCodeHash,
    record.clientId,
    record.status,
    record.createdAt,
    record.expiresAt,
    record.intervalSeconds,
    record.lastPollAt,
    record.cardId,
    record.enrollmentId,
    record.accessTokenHash,
    record.accessTokenExpiresAt,
    record.device.platform,
    record.device.model,
    record.device.appName,
    record.device.appVersion,
    record.pairing?.sessionId ?? null,
    record.pairing?.shownAt ?? null,
  ];
}

const placeholders = (count: number): string => Array.from({ length: count }, (_, i) => `$${i + 1}`).join(', ');

const CARD_COLUMNS = `id, issuer_dn, serial_number_hex, uuid, fascn_hex, common_name, not_after, certificate_der,
  email`;
/** A card signing in again (issuer and serial known) keeps its id; its other fields are refreshed. */
const CARD_UPSERT = `ON CONFLICT (issuer_dn, serial_number_hex) DO UPDATE SET uuid = excluded.uuid,
  fascn_hex = excluded.fascn_hex, common_name = excluded.common_name, not_after = excluded.not_after,
  certificate_der = excluded.certificate_der, email = excluded.email RETURNING id`;

/** The card as CARD_COLUMNS' $1–$9. */
const cardValues = (card: CardRecord): unknown[] => [
  card.id,
  card.issuerDn,
  card.serialNumberHex,
  card.uuid,
  card.fascnHex,
  card.commonName,
  card.notAfter,
  card.certificateDer,
  searchableCardEmail(card.certificateDer),
];

async function upsertCard(sql: Sql, card: CardRecord): Promise<string> {
  const row = await sql.one(`INSERT INTO cards (${CARD_COLUMNS}) VALUES (${placeholders(9)}) ${CARD_UPSERT}`, [
    ...cardValues(card),
  ]);
  return String(row?.id);
}

/**
 * The sign-in's challenge used up and its card upserted in one statement (2 round trips → 1): the card is written
 * only when the challenge was unused, from the CTE's row (its values cast: in a SELECT list PostgreSQL would take an
 * untyped parameter for text). No row: the challenge was used already (or is unknown), and nothing changed.
 */
const CONSUME_CHALLENGE_UPSERT_CARD = `WITH consumed AS (
    UPDATE challenges SET used_at = $10 WHERE id = $11 AND used_at IS NULL RETURNING 1
  )
  INSERT INTO cards (${CARD_COLUMNS})
  SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::bytea, $9::text FROM consumed
  ${CARD_UPSERT}`;

/**
 * The sign-in: its challenge used up and its card upserted (one statement), then its session and audit row (one
 * statement, changeWithAuditRow): 4 round trips → 2 inside the transaction. The card's id is the audit entry's, so
 * the row is hashed only once the first statement has returned it. Null: the challenge was used already.
 */
async function openSession(
  sql: Sql,
  challengeId: string,
  at: number,
  card: CardRecord,
  session: Omit<KioskSessionRecord, 'cardId'>,
  entry: AuditFor<string>,
): Promise<string | null> {
  const stored = await sql.one(CONSUME_CHALLENGE_UPSERT_CARD, [...cardValues(card), at, challengeId]);
  if (stored === null) return null;
  const cardId = String(stored.id);
  await changeWithAuditRow(
    sql,
    `change AS (
      INSERT INTO kiosk_sessions (id, token_hash, card_id, kiosk_id, signed_kiosk_id, created_at, expires_at,
        user_code_failures) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING 1
    )`,
    [
      session.id,
      session.tokenHash,
      cardId,
      session.kioskId,
      session.signedKioskId,
      session.createdAt,
      session.expiresAt,
      session.userCodeFailures,
    ],
    resolveAudit(entry, cardId),
  );
  return cardId;
}

/**
 * Gives back a taken user_code guess, card first, then session (the one lock order), in one statement: the card's
 * update is a CTE the session's update waits on (its uncorrelated subquery is a one-time filter, run before the
 * session row is read), so the card row is locked first. One statement is atomic on its own: outside a
 * transaction it needs no BEGIN/COMMIT (4 round trips → 1, bench/issuer-statements.ts).
 */
export const RELEASE_GUESS = `WITH card AS (
    UPDATE cards SET user_code_failures = GREATEST(user_code_failures - 1, 0) WHERE id = $1 RETURNING 1
  )
  UPDATE kiosk_sessions SET user_code_failures = GREATEST(user_code_failures - 1, 0)
  WHERE id = $2 AND (SELECT count(*) FROM card) >= 0`;

/**
 * Showing a phone gives back the guess that found its code and records the showing in one statement: the guess's
 * CTEs as RELEASE_GUESS (card, then session: the one lock order), then the device authorization, whose one-time
 * filter waits on the session's update. Data-modifying CTEs run whether or not the pairing is recorded, so the guess
 * is given back either way, as a separate RELEASE_GUESS did before it (one statement and one transaction fewer).
 * With its audit row, one statement in all (auditedChange: the guess's CTEs first, then the change's).
 */
const SHOW_PAIRING_RELEASING_GUESS = {
  /** The guess's CTEs, which the change's WITH begins with (auditedChange puts its own after them). */
  releasing: `card AS (
    UPDATE cards SET user_code_failures = GREATEST(user_code_failures - 1, 0) WHERE id = $1 RETURNING 1
  ), session AS (
    UPDATE kiosk_sessions SET user_code_failures = GREATEST(user_code_failures - 1, 0)
    WHERE id = $2 AND (SELECT count(*) FROM card) >= 0 RETURNING 1
  )`,
  change: `UPDATE device_authorizations SET pairing_session_id = $2, pairing_shown_at = $3
  WHERE id = $4 AND status = 'pending' AND (SELECT count(*) FROM session) >= 0`,
};

async function releaseGuess(sql: Sql, sessionId: string, cardId: string): Promise<void> {
  await sql.count(RELEASE_GUESS, [cardId, sessionId]);
}

/**
 * One user_code guess on the card, then on the session (the one lock order), in one statement (2 statements → 1,
 * bench/issuer-statements.ts). The card's update is a CTE the session's update waits on (its uncorrelated subqueries
 * are one-time filters, run before the session row is read), as in RELEASE_GUESS.
 * - The card: its window restarts if it is over, and the count goes up only while under the limit, in one
 *   conditional UPDATE (the row is locked by it; a racing guess waits and re-checks the condition on what this one
 *   committed). Nothing returned while a card row exists: the card is at its limit, and the session is left alone.
 * - The session: its count goes up only while under its limit, and only when the card took the guess (or there is no
 *   card row: no card row counts as no guesses on it; a session whose card is gone is refused by its own row).
 */
const TAKE_GUESS = `WITH card AS (
    UPDATE cards SET
      user_code_failures = CASE WHEN user_code_window_start <= $2 THEN 1 ELSE user_code_failures + 1 END,
      user_code_window_start = CASE WHEN user_code_window_start <= $2 THEN $3 ELSE user_code_window_start END
    WHERE id = $1 AND (CASE WHEN user_code_window_start <= $2 THEN 0 ELSE user_code_failures END) < $4
    RETURNING 1
  ), known AS (
    SELECT count(*) AS cards FROM cards WHERE id = $1
  ), session AS (
    UPDATE kiosk_sessions SET user_code_failures = user_code_failures + 1
    WHERE id = $5 AND user_code_failures < $6
      AND ((SELECT count(*) FROM card) = 1 OR (SELECT cards FROM known) = 0)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM card) AS card_taken, (SELECT cards FROM known) AS card_known,
    (SELECT count(*) FROM session) AS session_taken`;

/**
 * The verdicts as before (the card's limit checked before the session's). Still a transaction: when the session
 * refuses, the card's guess just taken is given back before COMMIT, while its row is locked, so no other guess ever
 * sees it. (Measured: without the transaction, 16 concurrent wrong codes of one session saw those guesses in flight
 * and met the card's limit; test/integration/issuer/code-guess-limits.postgres.test.ts.) An expired window stays
 * restarted (count 0, window from now) as before.
 */
async function takeGuess(
  sql: Sql,
  sessionId: string,
  cardId: string,
  at: number,
  limits: UserCodeGuessLimits,
): Promise<UserCodeGuessVerdict> {
  const row = await sql.one(TAKE_GUESS, [
    cardId,
    at - limits.windowMs,
    at,
    limits.perCard,
    sessionId,
    limits.perSession,
  ]);
  const cardTaken = Number(row?.card_taken) === 1;
  if (!cardTaken && Number(row?.card_known) > 0) return 'card-limit';
  if (Number(row?.session_taken) === 1) return 'taken';
  if (cardTaken)
    await sql.count('UPDATE cards SET user_code_failures = GREATEST(user_code_failures - 1, 0) WHERE id = $1', [
      cardId,
    ]);
  return 'session-limit';
}

/**
 * An approval as ONE statement with its audit row (auditedChangeRow, outside BEGIN/COMMIT: 7 round trips → 1,
 * bench/issuer-statements.ts). Its CTEs, in the one lock order:
 * - `card`, `session`: the guess that found the code given back (the code was right), as RELEASE_GUESS: card, then
 *   session. The session's update returns the session's enrollment_count, which migration 13's trigger keeps equal
 *   to its enrollments (+1 on insert, −1 on delete) and which an approval's enrollment INSERT raises while its
 *   statement holds the session row: an approval waiting on that row updates, and returns, the row as the other
 *   approval committed it (READ COMMITTED re-reads a row an UPDATE waited for). A count of the enrollments here would
 *   read the statement's snapshot, taken before the wait, and miss the approval waited for.
 * - `approved`: the device authorization, only while pending and the session under its limit.
 * - the change: the enrollment, only when approved (its values cast: in a SELECT list PostgreSQL would take an
 *   untyped parameter for text).
 */
const APPROVE = {
  before: `card AS (
    UPDATE cards SET user_code_failures = GREATEST(user_code_failures - 1, 0) WHERE id = $1 RETURNING 1
  ), session AS (
    UPDATE kiosk_sessions SET user_code_failures = GREATEST(user_code_failures - 1, 0)
    WHERE id = $4 AND (SELECT count(*) FROM card) >= 0 RETURNING enrollment_count
  ), approved AS (
    UPDATE device_authorizations SET status = 'approved', card_id = $1, enrollment_id = $2
    WHERE id = $3 AND status = 'pending' AND (SELECT enrollment_count FROM session) < $5
    RETURNING 1
  )`,
  change: `INSERT INTO enrollments (id, device_authorization_id, card_id, kiosk_session_id, status, otp_hash,
    otp_expires_at, otp_failures, created_at, completed_at, derived_certificate_serial_hex, phone_fetched_at, kiosk_id)
    SELECT $2::text, $3::text, $1::text, $4::text, $6::text, $7::text, $8::bigint, $9::bigint, $10::bigint,
      $11::bigint, $12::text, $13::bigint, $14::text
    FROM approved`,
  select: ', (SELECT enrollment_count FROM session) AS approvals',
};

async function approve(
  pool: PostgresPool,
  deviceAuthorizationId: string,
  e: EnrollmentRecord,
  maxApprovals: number,
  entry: AuditEntryInput,
): Promise<ApproveResult> {
  const row = await auditedChangeRow(
    pool,
    APPROVE.change,
    [
      e.cardId,
      e.id,
      deviceAuthorizationId,
      e.kioskSessionId,
      maxApprovals,
      e.status,
      e.otpHash,
      e.otpExpiresAt,
      e.otpFailures,
      e.createdAt,
      e.completedAt,
      e.derivedCertificateSerialHex,
      e.phoneFetchedAt,
      e.kioskId,
    ],
    entry,
    APPROVE.before,
    APPROVE.select,
  );
  if (Number(row.approvals) >= maxApprovals) return 'session-limit';
  return Number(row.changed) === 1 ? 'approved' : 'not-pending';
}

async function otpFailure(
  sql: Sql,
  id: string,
  maxFailures: number,
  entry: AuditFor<OtpFailureResult>,
): Promise<OtpFailureResult> {
  const counted = await sql.one(
    // A completed enrollment counts too: its wrong OTPs end the repeated delivery (redeliver-issued.ts).
    `UPDATE enrollments SET otp_failures = otp_failures + 1 WHERE id = $1 AND status IN ('awaiting-phone', 'completed')
     RETURNING otp_failures, device_authorization_id, status`,
    [id],
  );
  let result: OtpFailureResult;
  if (counted === null) {
    // Burned, card-revoked or unknown: count nothing, report what it is.
    const row = await sql.one('SELECT status, otp_failures FROM enrollments WHERE id = $1', [id]);
    result = { failures: row === null ? 0 : Number(row.otp_failures), burned: row?.status === 'burned' };
  } else {
    const failures = Number(counted.otp_failures);
    // A completed enrollment is never burned: its certificate was issued and stays what it is.
    const burned = failures >= maxFailures && counted.status === 'awaiting-phone';
    if (burned) {
      await sql.count(`UPDATE enrollments SET status = 'burned' WHERE id = $1 AND status = 'awaiting-phone'`, [id]);
      await sql.count(`UPDATE device_authorizations SET status = 'denied' WHERE id = $1`, [
        counted.device_authorization_id,
      ]);
    }
    result = { failures, burned };
  }
  await appendAuditRow(sql, resolveAudit(entry, result));
  return result;
}

async function revokeCard(
  sql: Sql,
  cardId: string,
  at: number,
  entry: AuditFor<CardRevocationResult>,
): Promise<CardRevocationResult> {
  const sessionsEnded = await sql.count(
    'UPDATE kiosk_sessions SET expires_at = $1 WHERE card_id = $2 AND expires_at > $1',
    [at, cardId],
  );
  await sql.count(
    `UPDATE device_authorizations SET status = 'denied' WHERE id IN
     (SELECT device_authorization_id FROM enrollments WHERE card_id = $1 AND status = 'awaiting-phone')`,
    [cardId],
  );
  const revoked = await sql.rows(
    `UPDATE enrollments SET status = 'card-revoked' WHERE card_id = $1 AND status = 'awaiting-phone' RETURNING id`,
    [cardId],
  );
  const result = { sessionsEnded, revokedEnrollmentIds: revoked.map((row) => String(row.id)) };
  await appendAuditRow(sql, resolveAudit(entry, result));
  return result;
}

/**
 * `DELETE … WHERE id IN (SELECT … LIMIT n)` leaves the planner free to run the inner SELECT again per outer row (the
 * form that made the outbox claim take every due row, postgres-outbox.ts); a MATERIALIZED CTE runs it once, so one
 * purge round deletes at most `n` rows of each table.
 */
const purgeSome = (sql: Sql, table: string, pick: string, cutoff: number, batch: number): Promise<number> =>
  sql.count(
    `WITH picked AS MATERIALIZED (${pick} LIMIT $2) DELETE FROM ${table} t USING picked WHERE t.id = picked.id`,
    [cutoff, batch],
  );

async function purge(sql: Sql, cutoff: number, entry: AuditFor<PurgeResult>): Promise<PurgeResult> {
  const batch = PURGE_BATCH_ROWS;
  const result: PurgeResult = {
    challenges: await purgeSome(sql, 'challenges', 'SELECT id FROM challenges WHERE expires_at < $1', cutoff, batch),
    // Enrollments first: device authorizations and sessions go only once nothing refers to them.
    enrollments: await purgeSome(sql, 'enrollments', PURGE_PICK_ENROLLMENTS, cutoff, batch),
    deviceAuthorizations: 0,
    kioskSessions: 0,
  };
  result.deviceAuthorizations = await purgeSome(sql, 'device_authorizations', PURGE_PICK_DEVICES, cutoff, batch);
  result.kioskSessions = await purgeSome(sql, 'kiosk_sessions', PURGE_PICK_SESSIONS, cutoff, batch);
  if (result.challenges + result.enrollments + result.deviceAuthorizations + result.kioskSessions > 0) {
    await appendAuditRow(sql, resolveAudit(entry, result));
  }
  return result;
}

/**
 * The redeem's claim of its enrollment and its CA generation's check (generationRetiredAt, FOR SHARE) in one
 * statement; the generation's row is read only when the claim matched.
 */
const CLAIM_ENROLLMENT = `WITH claimed AS (
    UPDATE enrollments SET status = 'completed', completed_at = $1, derived_certificate_serial_hex = $2
    WHERE id = $3 AND status = 'awaiting-phone' AND otp_hash = $4 RETURNING 1
  )
  SELECT (SELECT count(*) FROM claimed) AS claimed, ${generationRetiredAt('$5', 'EXISTS (SELECT 1 FROM claimed)')}`;

/** Rolls back an enrollment's completion whose CA generation was retired meanwhile. */
class GenerationRetired extends Error {}

const mapOne = <T>(row: Row | null, map: (row: Row) => T): T | null => (row === null ? null : map(row));

export interface PostgresStorage extends IssuerStorage {
  /** The pool, for what shares the database beside the storage (LISTEN/NOTIFY, tests). */
  readonly pool: PostgresPool;
}

export const isPostgresStorage = (storage: IssuerStorage): storage is PostgresStorage => 'pool' in storage;

/** Opens the pool and brings the schema up to date (under an advisory lock: nodes may start together). */
export async function openPostgresStorage(settings: PostgresSettings): Promise<PostgresStorage> {
  const pool = openPostgresPool(settings);
  try {
    await pool.transaction(applyPostgresMigrations);
  } catch (error: unknown) {
    await pool.end();
    throw error;
  }
  return postgresStorageOn(pool);
}

function postgresStorageOn(pool: PostgresPool): PostgresStorage {
  const tx = pool.transaction;
  const read = pool.read;
  // A change of one row and its audit row: one statement when the chain's head is cached (postgres-audit.ts).
  const audited = (changeSql: string, params: readonly unknown[], entry: AuditEntryInput, withCtes = '') =>
    auditedChange(pool, changeSql, params, entry, withCtes);
  const device = (where: string, value: string) =>
    read(async (sql) =>
      mapOne(await sql.one(`SELECT * FROM device_authorizations WHERE ${where} = $1`, [value]), toDeviceAuthorization),
    );
  const outbox = postgresOutbox(pool);

  return {
    pool,
    ...postgresAgentStorage(pool, { upsertCard }),
    insertDeviceAuthorization: async (record, entry) => {
      await audited(
        `INSERT INTO device_authorizations (${DEVICE_COLUMNS}) VALUES (${placeholders(19)})`,
        deviceValues(record),
        entry,
      );
    },
    findDeviceAuthorizationByDeviceCodeHash: (hash) => device('device_code_hash', hash),
    findDeviceAuthorizationByUserCodeHash: (hash) => device('user_code_hash', hash),
    findDeviceAuthorizationByAccessTokenHash: (hash) => device('access_token_hash', hash),
    findRedemptionParties: (accessTokenHash, enrollmentId) =>
      findRedemptionParties(pool, accessTokenHash, enrollmentId),
    findDeviceAuthorization: (id) => device('id', id),
    recordTokenPoll: (id, at, intervalSeconds) =>
      read(async (sql) => {
        await sql.count('UPDATE device_authorizations SET last_poll_at = $1, interval_seconds = $2 WHERE id = $3', [
          at,
          intervalSeconds,
          id,
        ]);
      }),
    issueAccessToken: (id, token, entry) =>
      audited(
        `UPDATE device_authorizations SET status = 'token-issued', access_token_hash = $1,
         access_token_expires_at = $2, last_poll_at = $3 WHERE id = $4 AND status = 'approved'`,
        [token.hash, token.expiresAt, token.polledAt, id],
        entry,
      ),
    showDevicePairing: (id, pairing, cardId, entry) =>
      audited(
        SHOW_PAIRING_RELEASING_GUESS.change,
        [cardId, pairing.sessionId, pairing.shownAt, id],
        entry,
        SHOW_PAIRING_RELEASING_GUESS.releasing,
      ),
    denyDevicePairing: (id, sessionId, entry) =>
      audited(
        `UPDATE device_authorizations SET status = 'denied' WHERE id = $1 AND status = 'pending'
         AND pairing_session_id = $2`,
        [id, sessionId],
        entry,
      ),

    insertChallenge: (r) =>
      read(async (sql) => {
        await sql.count(
          'INSERT INTO challenges (id, challenge, kiosk_id, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6)',
          [r.id, r.challenge, r.kioskId, r.createdAt, r.expiresAt, r.usedAt],
        );
      }),
    findChallenge: (id) =>
      read(async (sql) => mapOne(await sql.one('SELECT * FROM challenges WHERE id = $1', [id]), toChallenge)),
    consumeChallenge: (id, at, entry) =>
      audited('UPDATE challenges SET used_at = $1 WHERE id = $2 AND used_at IS NULL', [at, id], entry),
    openKioskSession: (challengeId, at, card, session, entry) =>
      tx((sql) => openSession(sql, challengeId, at, card, session, entry)),
    findCard: (id) => read(async (sql) => mapOne(await sql.one('SELECT * FROM cards WHERE id = $1', [id]), toCard)),
    findKioskSessionByTokenHash: (hash) =>
      read(async (sql) =>
        mapOne(await sql.one('SELECT * FROM kiosk_sessions WHERE token_hash = $1', [hash]), toKioskSession),
      ),
    takeUserCodeGuess: (sessionId, cardId, at, limits) => tx((sql) => takeGuess(sql, sessionId, cardId, at, limits)),
    // One statement (RELEASE_GUESS): atomic without a transaction around it.
    releaseUserCodeGuess: (sessionId, cardId) => read((sql) => releaseGuess(sql, sessionId, cardId)),
    recordUserCodeFailure: (sessionId, maxFailures, at, entry) =>
      tx(async (sql) => {
        const row = await sql.one('SELECT user_code_failures FROM kiosk_sessions WHERE id = $1 FOR UPDATE', [
          sessionId,
        ]);
        const failures = row === null ? 0 : Number(row.user_code_failures);
        if (failures >= maxFailures) {
          await sql.count('UPDATE kiosk_sessions SET expires_at = $1 WHERE id = $2 AND expires_at > $1', [
            at,
            sessionId,
          ]);
        }
        await appendAuditRow(sql, entry);
        return failures;
      }),
    revokeCardSessions: (cardId, at, entry) => tx((sql) => revokeCard(sql, cardId, at, entry)),

    approveDeviceAuthorization: (deviceAuthorizationId, enrollment, maxApprovals, entry) =>
      approve(pool, deviceAuthorizationId, enrollment, maxApprovals, entry),
    findEnrollment: (id) =>
      read(async (sql) => mapOne(await sql.one('SELECT * FROM enrollments WHERE id = $1', [id]), toEnrollment)),
    recordPhoneFetched: (id, at) =>
      read(
        async (sql) =>
          (await sql.count('UPDATE enrollments SET phone_fetched_at = $1 WHERE id = $2 AND phone_fetched_at IS NULL', [
            at,
            id,
          ])) === 1,
      ),
    // The failure count stays: a refresh gives a new code, not new tries (otp.maxAttempts bounds the enrollment).
    replaceEnrollmentOtp: (id, otpHash, otpExpiresAt, entry) =>
      audited(
        `UPDATE enrollments SET otp_hash = $1, otp_expires_at = $2 WHERE id = $3 AND status = 'awaiting-phone'`,
        [otpHash, otpExpiresAt, id],
        entry,
      ),
    recordOtpFailure: (id, maxFailures, entry) => tx((sql) => otpFailure(sql, id, maxFailures, entry)),
    completeEnrollment: (id, otpHash, certificate, entry, supersede, notifications = []) =>
      tx(async (sql): Promise<CompleteEnrollmentResult> => {
        // The enrollment row first: when it is no longer claimable, nothing else is written (not even the
        // generation's lock, taken only once the claim has matched). One statement (2 round trips → 1).
        const claim = await sql.one(CLAIM_ENROLLMENT, [
          certificate.issuedAt,
          certificate.serialNumberHex,
          id,
          otpHash,
          certificate.issuerGeneration,
        ]);
        if (Number(claim?.claimed) !== 1) return { completed: false, reason: 'not-claimable' };
        const retired = claim?.retired_at !== null && claim?.retired_at !== undefined;
        const result: CompleteEnrollmentResult = retired
          ? { completed: false, reason: 'generation-retired' }
          : await writeCredential(sql, certificate, supersede);
        // A retired generation's CA signs no more: undo the enrollment's completion with everything else.
        if (!result.completed) throw new GenerationRetired();
        await appendAuditRow(sql, entry);
        for (const message of notifications) await outbox.enqueue(sql, message);
        return result;
      }).catch((error: unknown) => {
        if (error instanceof GenerationRetired) return { completed: false, reason: 'generation-retired' } as const;
        throw error;
      }),
    ...postgresLifecycleStorage(pool, outbox.enqueue),
    ...postgresPcEnrollmentStorage(pool, outbox.enqueue),

    // A transaction: the chain's head is locked, read and moved with the row.
    appendAudit: (entry) =>
      tx(async (sql) => {
        await appendAuditRow(sql, entry);
      }),
    readAuditChainState: () => tx(readAuditChainState),
    ...postgresKioskStorage(pool),
    listAudit: (afterSequence, limit) =>
      read(async (sql) =>
        (
          await sql.rows('SELECT * FROM audit_log WHERE sequence > $1 ORDER BY sequence LIMIT $2', [
            afterSequence,
            limit,
          ])
        ).map(toAuditEntry),
      ),
    searchAudit: (search, limit) => read((sql) => searchAuditRows(sql, search, limit)),
    listAuditBefore: (before, limit) =>
      read(async (sql) =>
        oldEnoughPrefix(
          (await sql.rows('SELECT * FROM audit_log ORDER BY sequence LIMIT $1', [limit])).map(toAuditEntry),
          before,
        ),
      ),
    dropExportedAudit: (exported, entry) =>
      tx(async (sql) => {
        // The chains must verify up to the cut, and pick up from there afterwards (issuer/README.md).
        await checkpointAuditUpTo(sql, exported.upToSequence, exported.at);
        await sql.count(
          'INSERT INTO audit_exports (up_to_sequence, rows, file, sha256, exported_at) VALUES ($1, $2, $3, $4, $5)',
          [exported.upToSequence, exported.rows, exported.file, exported.sha256, exported.at],
        );
        const dropped = await sql.count('DELETE FROM audit_log WHERE sequence <= $1', [exported.upToSequence]);
        // Rows the export file does not hold would be lost: roll everything back instead.
        if (dropped !== exported.rows)
          throw new Error(`audit retention: ${dropped} rows to drop, ${exported.rows} exported`);
        await appendAuditRow(sql, entry);
      }),

    takeLease: (name, holder, at, ttlMs) =>
      read(
        async (sql) =>
          (await sql.count(
            `INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4`,
            [name, holder, at + ttlMs, at],
          )) === 1,
      ),
    purgeExpired: (cutoff, entry) => tx((sql) => purge(sql, cutoff, entry)),
    ...postgresEligibilityStorage(pool),

    queueNotification: (message, entry) =>
      tx(async (sql) => {
        if (!(await outbox.enqueue(sql, message))) return false;
        await appendAuditRow(sql, entry);
        return true;
      }),
    listRenewalCandidates: outbox.listRenewalCandidates,
    claimNotifications: outbox.claimNotifications,
    settleNotification: (id, holder, settlement, entry) =>
      tx(async (sql) => {
        if (!(await outbox.settle(sql, id, holder, settlement))) return false;
        if (entry !== null) await appendAuditRow(sql, entry);
        return true;
      }),
    listNotifications: outbox.listNotifications,

    close: () => pool.end(),
  };
}

// The notification outbox on PostgreSQL (table `notification_outbox`, migration 4); the twin of sqlite-outbox.ts.
// `enqueue` and `settle` run inside the caller's transaction (a change and its message commit together); a claim is
// one statement whose inner SELECT skips rows another node's claim is writing (FOR UPDATE SKIP LOCKED), and whose
// outer WHERE re-checks the claim, so two senders never hold the same row. The SELECT is a MATERIALIZED CTE, run
// once: as `WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` the planner re-ran it for each outer row (a
// nested-loop semi-join), each re-run skipped the row this statement had just claimed and picked the next, so a
// claim of 1 claimed every due row; the sender delivered the first and the rest stayed claimed, unsent, for the
// claim's lease (monitor-revokes-derived.postgres.test.ts: 1 of 2 notices sent).
import { notificationKey } from './issuer-storage.ts';
import type { IssuerStorage, NotificationInput, NotificationSettlement } from './issuer-storage.ts';
import type { PostgresPool, Sql } from './postgres-connection.ts';
import { toDerivedCertificate } from './sqlite-lifecycle.ts';
import { toNotification } from './sqlite-outbox.ts';

export interface PostgresOutbox extends Pick<
  IssuerStorage,
  'claimNotifications' | 'listRenewalCandidates' | 'listNotifications'
> {
  /** Queues a message inside the caller's transaction. False: a message with its key exists; nothing written. */
  enqueue: (sql: Sql, message: NotificationInput) => Promise<boolean>;
  /** Records how the attempt ended, only while `holder` still holds the claim. */
  settle: (sql: Sql, id: string, holder: string, settlement: NotificationSettlement) => Promise<boolean>;
}

const SETTLE_WHERE = 'WHERE id = $1 AND claimed_by = $2 AND status = $3';

export function postgresOutbox(pool: PostgresPool): PostgresOutbox {
  return {
    enqueue: async (sql, message) =>
      (await sql.count(
        `INSERT INTO notification_outbox (id, idempotency_key, kind, card_id, derived_serial_hex, facts, status,
         attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)
         ON CONFLICT (idempotency_key) DO NOTHING`,
        [
          message.id,
          message.idempotencyKey,
          message.kind,
          message.cardId,
          message.derivedSerialHex,
          JSON.stringify(message.facts),
          message.createdAt,
        ],
      )) === 1,
    settle: async (sql, id, holder, settlement) => {
      switch (settlement.outcome) {
        case 'sent':
          return (
            (await sql.count(
              `UPDATE notification_outbox SET status = 'sent', sent_at = $4, claimed_by = NULL, claimed_until = NULL,
               last_error = NULL ${SETTLE_WHERE}`,
              [id, holder, 'pending', settlement.at],
            )) === 1
          );
        case 'retry':
          return (
            (await sql.count(
              `UPDATE notification_outbox SET next_attempt_at = $4, last_error = $5, claimed_by = NULL,
               claimed_until = NULL ${SETTLE_WHERE}`,
              [id, holder, 'pending', settlement.nextAttemptAt, settlement.error],
            )) === 1
          );
        case 'failed':
          return (
            (await sql.count(
              `UPDATE notification_outbox SET status = 'failed', last_error = $4, claimed_by = NULL,
               claimed_until = NULL ${SETTLE_WHERE}`,
              [id, holder, 'pending', settlement.error],
            )) === 1
          );
      }
    },
    claimNotifications: (holder, at, leaseMs, limit) =>
      pool.read(async (sql) =>
        (
          await sql.rows(
            `WITH picked AS MATERIALIZED (SELECT id FROM notification_outbox WHERE status = 'pending'
               AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until <= $3)
               ORDER BY next_attempt_at, created_at LIMIT $4 FOR UPDATE SKIP LOCKED)
             UPDATE notification_outbox o SET claimed_by = $1, claimed_until = $2, attempts = o.attempts + 1
             FROM picked WHERE o.id = picked.id
             AND o.status = 'pending' AND (o.claimed_until IS NULL OR o.claimed_until <= $3)
             RETURNING o.*`,
            [holder, at + leaseMs, at, limit],
          )
        ).map(toNotification),
      ),
    // The renewal point is notBefore + threshold × lifetime, computed in SQL so a changed threshold applies to every row.
    listRenewalCandidates: (at, thresholdPercent, limit) =>
      pool.read(async (sql) =>
        (
          await sql.rows(
            `SELECT d.* FROM derived_certificates d
             WHERE d.status = 'active' AND d.not_after > $1
             AND d.not_before + ((d.not_after - d.not_before) * $2) / 100 <= $1
             AND NOT EXISTS (SELECT 1 FROM notification_outbox o WHERE o.idempotency_key = $3 || d.serial_number_hex)
             ORDER BY d.not_after LIMIT $4`,
            [at, thresholdPercent, notificationKey('renewal-due', ''), limit],
          )
        ).map(toDerivedCertificate),
      ),
    listNotifications: (limit) =>
      pool.read(async (sql) =>
        (await sql.rows('SELECT * FROM notification_outbox ORDER BY created_at, id LIMIT $1', [limit])).map(
          toNotification,
        ),
      ),
  };
}

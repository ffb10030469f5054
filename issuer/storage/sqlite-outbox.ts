// The notification outbox's statements (table `notification_outbox`, migration 4). These functions run INSIDE a
// transaction of sqlite-storage.ts: `enqueue` is how any state change queues the message that reports it in its
// own transaction (completeEnrollment does; a revocation or an issuer change does the same), so a change and its
// message commit together or not at all.
import type Database from 'better-sqlite3';
import { notificationKey } from './issuer-storage.ts';
import type {
  DerivedCertificateRecord,
  NotificationInput,
  NotificationRecord,
  NotificationSettlement,
  NotificationStatus,
} from './issuer-storage.ts';

type Row = Record<string, unknown>;

const text = (row: Row, key: string): string => {
  const value = row[key];
  return typeof value === 'string' ? value : JSON.stringify(value);
};
const textOrNull = (row: Row, key: string): string | null => (row[key] === null ? null : text(row, key));
const numOrNull = (row: Row, key: string): number | null => (row[key] === null ? null : Number(row[key]));

export function toNotification(row: Row): NotificationRecord {
  return {
    id: text(row, 'id'),
    idempotencyKey: text(row, 'idempotency_key'),
    kind: text(row, 'kind') as NotificationRecord['kind'],
    cardId: text(row, 'card_id'),
    derivedSerialHex: textOrNull(row, 'derived_serial_hex'),
    facts: JSON.parse(text(row, 'facts')) as NotificationRecord['facts'],
    createdAt: Number(row.created_at),
    status: text(row, 'status') as NotificationStatus,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    claimedBy: textOrNull(row, 'claimed_by'),
    claimedUntil: numOrNull(row, 'claimed_until'),
    lastError: textOrNull(row, 'last_error'),
    sentAt: numOrNull(row, 'sent_at'),
  };
}

export interface OutboxStatements {
  /** Queues a message (call inside a write transaction). False: a message with its key exists; nothing written. */
  enqueue(message: NotificationInput): boolean;
  claim(holder: string, at: number, leaseMs: number, limit: number): NotificationRecord[];
  settle(id: string, holder: string, settlement: NotificationSettlement): boolean;
  renewalCandidates(
    at: number,
    thresholdPercent: number,
    limit: number,
    toCertificate: (row: Row) => DerivedCertificateRecord,
  ): DerivedCertificateRecord[];
  list(limit: number): NotificationRecord[];
}

export function prepareOutbox(db: Database.Database): OutboxStatements {
  // Portable: ON CONFLICT DO NOTHING is SQLite ≥ 3.24 and PostgreSQL.
  const insert =
    db.prepare(`INSERT INTO notification_outbox (id, idempotency_key, kind, card_id, derived_serial_hex, facts,
    status, attempts, next_attempt_at, created_at) VALUES (@id, @idempotencyKey, @kind, @cardId, @derivedSerialHex, @facts,
    'pending', 0, @createdAt, @createdAt) ON CONFLICT (idempotency_key) DO NOTHING`);
  // One conditional update: a row is claimed only while pending, due, and unclaimed or its claim lapsed. PostgreSQL
  // adds FOR UPDATE SKIP LOCKED to the inner SELECT; the WHERE alone already keeps two senders off one row.
  const claim =
    db.prepare(`UPDATE notification_outbox SET claimed_by = @holder, claimed_until = @until, attempts = attempts + 1
    WHERE id IN (SELECT id FROM notification_outbox WHERE status = 'pending' AND next_attempt_at <= @at
      AND (claimed_until IS NULL OR claimed_until <= @at) ORDER BY next_attempt_at, created_at LIMIT @limit)
    AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= @at)
    RETURNING *`);
  const markSent =
    db.prepare(`UPDATE notification_outbox SET status = 'sent', sent_at = @at, claimed_by = NULL, claimed_until = NULL,
    last_error = NULL WHERE id = @id AND claimed_by = @holder AND status = 'pending'`);
  const markRetry = db.prepare(`UPDATE notification_outbox SET next_attempt_at = @nextAttemptAt, last_error = @error,
    claimed_by = NULL, claimed_until = NULL WHERE id = @id AND claimed_by = @holder AND status = 'pending'`);
  const markFailed =
    db.prepare(`UPDATE notification_outbox SET status = 'failed', last_error = @error, claimed_by = NULL,
    claimed_until = NULL WHERE id = @id AND claimed_by = @holder AND status = 'pending'`);
  // The renewal point is notBefore + threshold × lifetime, computed in SQL so a changed threshold applies to every row.
  // Only active credentials (status: migration 3): a revoked or suspended one is not renewed, its holder was told why.
  const renewal = db.prepare(`SELECT d.* FROM derived_certificates d
    WHERE d.status = 'active' AND d.not_after > @at AND d.not_before + ((d.not_after - d.not_before) * @percent) / 100 <= @at
    AND NOT EXISTS (SELECT 1 FROM notification_outbox o WHERE o.idempotency_key = @keyPrefix || d.serial_number_hex)
    ORDER BY d.not_after LIMIT @limit`);
  const list = db.prepare('SELECT * FROM notification_outbox ORDER BY created_at, id LIMIT ?');

  return {
    enqueue: (message) => insert.run({ ...message, facts: JSON.stringify(message.facts) }).changes === 1,
    claim: (holder, at, leaseMs, limit) =>
      (claim.all({ holder, until: at + leaseMs, at, limit }) as Row[]).map(toNotification),
    settle: (id, holder, settlement) => {
      switch (settlement.outcome) {
        case 'sent':
          return markSent.run({ id, holder, at: settlement.at }).changes === 1;
        case 'retry':
          return (
            markRetry.run({ id, holder, nextAttemptAt: settlement.nextAttemptAt, error: settlement.error }).changes ===
            1
          );
        case 'failed':
          return markFailed.run({ id, holder, error: settlement.error }).changes === 1;
      }
    },
    renewalCandidates: (at, thresholdPercent, limit, toCertificate) =>
      (
        renewal.all({ at, percent: thresholdPercent, limit, keyPrefix: notificationKey('renewal-due', '') }) as Row[]
      ).map(toCertificate),
    list: (limit) => (list.all(limit) as Row[]).map(toNotification),
  };
}

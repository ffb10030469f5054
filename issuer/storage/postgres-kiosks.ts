// Kiosk identities on PostgreSQL: the same statements as sqlite-kiosks.ts, each change with its audit row in one
// transaction; the heartbeat one conditional update (active, later than the last), so a replay has no winner; a
// signed call's nonce one conditional insert.
import type { IssuerStorage, KioskRecord } from './issuer-storage.ts';
import { auditedChange } from './postgres-audit.ts';
import type { PostgresPool, Row } from './postgres-connection.ts';

type KioskStorage = Pick<
  IssuerStorage,
  'registerKiosk' | 'revokeKiosk' | 'findKiosk' | 'listKiosks' | 'recordKioskHeartbeat' | 'useKioskNonce'
>;

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toKiosk(row: Row): KioskRecord {
  return {
    name: String(row.name),
    publicKeyDer: new Uint8Array(row.public_key_der as Buffer),
    fingerprint: String(row.fingerprint),
    registeredAt: Number(row.registered_at),
    registeredBy: String(row.registered_by),
    revokedAt: numberOrNull(row.revoked_at),
    lastSentAt: numberOrNull(row.last_sent_at),
    lastSeenAt: numberOrNull(row.last_seen_at),
    lastReportJson: typeof row.last_report === 'string' ? row.last_report : null,
  };
}

export function postgresKioskStorage(pool: PostgresPool): KioskStorage {
  return {
    registerKiosk: (kiosk, entry) =>
      auditedChange(
        pool,
        `INSERT INTO kiosks (name, public_key_der, fingerprint, registered_at, registered_by)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
        [kiosk.name, Buffer.from(kiosk.publicKeyDer), kiosk.fingerprint, kiosk.registeredAt, kiosk.registeredBy],
        entry,
      ),
    revokeKiosk: (name, at, entry) =>
      auditedChange(
        pool,
        'UPDATE kiosks SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL',
        [at, name],
        entry,
      ),
    findKiosk: (name) =>
      pool.read(async (sql) => {
        const row = await sql.one('SELECT * FROM kiosks WHERE name = $1', [name]);
        return row === null ? null : toKiosk(row);
      }),
    listKiosks: () => pool.read(async (sql) => (await sql.rows('SELECT * FROM kiosks ORDER BY name')).map(toKiosk)),
    recordKioskHeartbeat: (name, sentAt, seenAt, report) =>
      pool.transaction(
        async (sql) =>
          (await sql.count(
            `UPDATE kiosks SET last_sent_at = $1, last_seen_at = $2, last_report = $3
            WHERE name = $4 AND revoked_at IS NULL AND (last_sent_at IS NULL OR last_sent_at < $1)`,
            [sentAt, seenAt, report, name],
          )) === 1,
      ),
    useKioskNonce: (kiosk, nonce, keepUntil, now) =>
      pool.transaction(async (sql) => {
        await sql.count('DELETE FROM kiosk_request_nonces WHERE kiosk_name = $1 AND keep_until < $2', [kiosk, now]);
        return (
          (await sql.count(
            `INSERT INTO kiosk_request_nonces (kiosk_name, nonce, keep_until) VALUES ($1, $2, $3)
            ON CONFLICT (kiosk_name, nonce) DO NOTHING`,
            [kiosk, nonce, keepUntil],
          )) === 1
        );
      }),
  };
}

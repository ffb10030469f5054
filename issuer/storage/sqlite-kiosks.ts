// The SQLite side of kiosk identities (issuer/kiosks/): registration and revocation with their audit rows, and the
// heartbeat as one conditional update (active, and later than the last one) so a replay has no winner anywhere; a
// signed call's nonce as one conditional insert, for the same reason.
import type Database from 'better-sqlite3';
import type { AuditEntryInput, IssuerStorage, KioskRecord, NewKiosk } from './issuer-storage.ts';

type Row = Record<string, unknown>;
type KioskStorage = Pick<
  IssuerStorage,
  'registerKiosk' | 'revokeKiosk' | 'findKiosk' | 'listKiosks' | 'recordKioskHeartbeat' | 'useKioskNonce'
>;

interface Tools {
  run: <T>(attempt: () => T) => Promise<T>;
  runWrite: <T>(attempt: () => T) => Promise<T>;
  write: <A extends unknown[], R>(work: (...args: A) => R) => (...args: A) => R;
  audit: (entry: AuditEntryInput) => void;
}

const numberOrNull = (row: Row, key: string): number | null => (row[key] === null ? null : Number(row[key]));

function toKiosk(row: Row): KioskRecord {
  return {
    name: String(row.name),
    publicKeyDer: row.public_key_der as Buffer,
    fingerprint: String(row.fingerprint),
    registeredAt: Number(row.registered_at),
    registeredBy: String(row.registered_by),
    revokedAt: numberOrNull(row, 'revoked_at'),
    lastSentAt: numberOrNull(row, 'last_sent_at'),
    lastSeenAt: numberOrNull(row, 'last_seen_at'),
    lastReportJson: typeof row.last_report === 'string' ? row.last_report : null,
  };
}

export function sqliteKioskStorage(db: Database.Database, tools: Tools): KioskStorage {
  const q = {
    insert: db.prepare(`INSERT INTO kiosks (name, public_key_der, fingerprint, registered_at, registered_by)
      VALUES (@name, @publicKeyDer, @fingerprint, @registeredAt, @registeredBy) ON CONFLICT (name) DO NOTHING`),
    revoke: db.prepare('UPDATE kiosks SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL'),
    find: db.prepare('SELECT * FROM kiosks WHERE name = ?'),
    list: db.prepare('SELECT * FROM kiosks ORDER BY name'),
    heartbeat: db.prepare(`UPDATE kiosks SET last_sent_at = @sentAt, last_seen_at = @seenAt, last_report = @report
      WHERE name = @name AND revoked_at IS NULL AND (last_sent_at IS NULL OR last_sent_at < @sentAt)`),
    dropOldNonces: db.prepare('DELETE FROM kiosk_request_nonces WHERE kiosk_name = ? AND keep_until < ?'),
    useNonce: db.prepare(`INSERT INTO kiosk_request_nonces (kiosk_name, nonce, keep_until) VALUES (?, ?, ?)
      ON CONFLICT (kiosk_name, nonce) DO NOTHING`),
  };
  const useNonce = tools.write((kiosk: string, nonce: string, keepUntil: number, now: number): boolean => {
    q.dropOldNonces.run(kiosk, now);
    return q.useNonce.run(kiosk, nonce, keepUntil).changes === 1;
  });
  const register = tools.write((kiosk: NewKiosk, entry: AuditEntryInput): boolean => {
    const { publicKeyDer, ...rest } = kiosk;
    if (q.insert.run({ ...rest, publicKeyDer: Buffer.from(publicKeyDer) }).changes !== 1) return false;
    tools.audit(entry);
    return true;
  });
  const revoke = tools.write((name: string, at: number, entry: AuditEntryInput): boolean => {
    if (q.revoke.run(at, name).changes !== 1) return false;
    tools.audit(entry);
    return true;
  });
  return {
    registerKiosk: (kiosk, entry) => tools.runWrite(() => register(kiosk, entry)),
    revokeKiosk: (name, at, entry) => tools.runWrite(() => revoke(name, at, entry)),
    findKiosk: (name) =>
      tools.run(() => {
        const row = q.find.get(name) as Row | undefined;
        return row === undefined ? null : toKiosk(row);
      }),
    listKiosks: () => tools.run(() => (q.list.all() as Row[]).map(toKiosk)),
    recordKioskHeartbeat: (name, sentAt, seenAt, report) =>
      tools.runWrite(() => q.heartbeat.run({ name, sentAt, seenAt, report }).changes === 1),
    useKioskNonce: (kiosk, nonce, keepUntil, now) => tools.runWrite(() => useNonce(kiosk, nonce, keepUntil, now)),
  };
}

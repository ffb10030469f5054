// A database made before the lifecycle landed (every migration but 3 applied: 1, 2, 4, 5 and 6, as main had them; merged
// out of version order) upgrades on open by applying 3 alone: the credential issued before keeps its row, reads as
// active in generation 1, and the outbox row queued before is still there and still sendable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_MIGRATIONS } from '../../../../issuer/storage/sqlite-migrations.ts';
import { openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const DAY = 86_400_000;
const SERIAL = '5e0000000000000000000000000000a1';

let dir = '';
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The schema and rows main left before the merge: every migration but 3, one issued credential, one queued notice. */
function preMergeDatabase(file: string): void {
  const db = new Database(file);
  // The credential's enrollment and session rows are left out (better-sqlite3 checks foreign keys by default): what
  // is under test is what migration 3 does to the rows that are there.
  db.pragma('foreign_keys = OFF');
  db.exec(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  for (const migration of SQLITE_MIGRATIONS.filter((m) => m.version !== 3).sort((a, b) => a.version - b.version)) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.description, T0);
  }
  db.prepare(
    `INSERT INTO cards (id, issuer_dn, serial_number_hex, uuid, fascn_hex, common_name, not_after, certificate_der)
    VALUES ('card-1', 'CN=Test PIV CA', 'c001', NULL, NULL, 'Holder 1', ?, x'3000')`,
  ).run(T0 + 1000 * DAY);
  db.prepare(
    `INSERT INTO device_authorizations (id, device_code_hash, user_code_hash, client_id, status, created_at, expires_at,
    interval_seconds) VALUES ('device-1', 'dc', 'uc', 'dck-phone', 'approved', ?, ?, 5)`,
  ).run(T0, T0 + 600_000);
  db.prepare(
    `INSERT INTO derived_certificates (serial_number_hex, card_id, device_authorization_id, enrollment_id, certificate_der,
    not_before, not_after, issued_at) VALUES (?, 'card-1', 'device-1', 'enrollment-1', x'3000', ?, ?, ?)`,
  ).run(SERIAL, T0, T0 + 365 * DAY, T0);
  db.prepare(
    `INSERT INTO notification_outbox (id, idempotency_key, kind, card_id, derived_serial_hex, facts, status,
    next_attempt_at, created_at) VALUES ('n-1', ?, 'credential-issued', 'card-1', ?, '{}', 'pending', ?, ?)`,
  ).run(`credential-issued:${SERIAL}`, SERIAL, T0, T0);
  db.close();
}

describe('SQLite migrations: a database from before the lifecycle', () => {
  it('applies migration 3 on open (after 4 and 6), keeping the credential and the queued notice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dck-migrations-'));
    const file = join(dir, 'issuer.sqlite');
    preMergeDatabase(file);
    const storage = openSqliteStorage(file, { checkpointIntervalMs: 0 });
    try {
      const reader = new Database(file, { readonly: true });
      const versions = (
        reader.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>
      ).map((row) => row.version);
      reader.close();
      expect(versions).toEqual(SQLITE_MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
      expect(versions).toContain(3);
      expect(await storage.findDerivedCertificate(SERIAL)).toMatchObject({
        status: 'active',
        issuerGeneration: 1,
        revocationReason: null,
      });
      expect((await storage.listNotifications(10)).map((row) => [row.kind, row.status])).toEqual([
        ['credential-issued', 'pending'],
      ]);
      // The renewal scan (migration 4's table) reads the status column migration 3 added.
      expect((await storage.listRenewalCandidates(T0 + 300 * DAY, 80, 10)).map((row) => row.serialNumberHex)).toEqual([
        SERIAL,
      ]);
    } finally {
      await storage.close();
    }
  });

  it('migration 10: a credential bound before it keeps what its redeem body said, read as unconfirmed', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dck-migrations-'));
    const file = join(dir, 'issuer.sqlite');
    const db = new Database(file);
    db.pragma('foreign_keys = OFF');
    db.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    for (const migration of SQLITE_MIGRATIONS.filter((m) => m.version <= 6).sort((a, b) => a.version - b.version)) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.description, T0);
    }
    db.prepare(
      `INSERT INTO derived_certificates (serial_number_hex, card_id, device_authorization_id, enrollment_id,
      certificate_der, not_before, not_after, issued_at, device_id, device_platform, device_model)
      VALUES (?, 'card-1', 'device-1', 'enrollment-1', x'3000', ?, ?, ?, 'phone-1', 'iOS 18', 'iPhone 16')`,
    ).run(SERIAL, T0, T0 + 365 * DAY, T0);
    db.close();
    const storage = openSqliteStorage(file, { checkpointIntervalMs: 0 });
    try {
      expect((await storage.findDerivedCertificate(SERIAL))?.device).toEqual({
        id: 'phone-1',
        platform: 'iOS 18',
        model: 'iPhone 16',
        source: 'unconfirmed',
      });
    } finally {
      await storage.close();
    }
  });
});

// `npm run bench:issuer-purge`: what one maintenance purge round (`purgeExpired`) costs on a SQLite database holding
// N finished enrollments whose device authorizations and kiosk sessions are all past the grace (the cutoff is a
// year after their expiry): the rows an enrollment references are never deleted, so a purge that finds its
// candidates by expiry alone walks every one of them, inside the write transaction, on every round. Prints figures
// only.
//
//   node --import tsx bench/issuer-purge.ts [--enrollments N] [--orphans M] [--rounds R] [--storage PATH]
//
// The database is made at schema version 12 (the last before the purge's own index) and filled by set-based
// INSERTs: one card, N completed enrollments each with its own kiosk session and device authorization (ids spread
// over the key space as random ids are), plus M expired sessions and device authorizations no enrollment refers to
// (what a round must delete). It is then opened through the issuer's storage — `--storage`: another checkout's
// issuer/storage/sqlite-storage.ts, e.g. main's for the figures before the fix — which applies the migrations that
// checkout has (the time printed as "open"), and R purge rounds run with each one's time and counts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditEntryInput, IssuerStorage } from '../issuer/storage/issuer-storage.ts';
import { SQLITE_MIGRATIONS } from '../issuer/storage/sqlite-migrations.ts';
import { benchArgs } from './bench-args.ts';

const args = benchArgs('bench/issuer-purge.ts', {
  enrollments: { kind: 'integer', default: 100_000 },
  orphans: { kind: 'integer', default: 1_000, least: 0 },
  rounds: { kind: 'integer', default: 3 },
  storage: { kind: 'text', default: join(import.meta.dirname, '../issuer/storage/sqlite-storage.ts') },
});
const storagePath = resolve(args.storage);
const { openSqliteStorage } = (await import(storagePath)) as {
  openSqliteStorage: (file: string, options: { checkpointIntervalMs: number }) => IssuerStorage;
};

/** The schema every checkout has: the purge's index (migration 13) is what is measured, so it is not made here. */
const BASE_VERSION = 12;
const T0 = Date.UTC(2026, 0, 1);
const YEAR_MS = 365 * 86_400_000;
/** Session and device-code lifetime of the filled rows (their exact value does not matter: all are expired). */
const LIFETIME_MS = 600_000;

/** A recursive CTE of 1..count and an id of `i` spread over the key space (Knuth's multiplicative hash). */
const numbers = (count: number) => `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})`;
const spreadId = (prefix: string) => `'${prefix}-' || printf('%08x', (i * 2654435761) % 4294967296) || '-' || i`;

function makeDatabase(file: string, enrollments: number, orphans: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // Random keys land on random pages of every index: through better-sqlite3's default 16 MB cache a fill of 1,000,000
  // enrollments was not done after nine minutes (stopped); with 1 GB (this connection only) it took 4.5–5.5 min.
  db.pragma('cache_size = -1048576');
  db.exec(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  for (const migration of SQLITE_MIGRATIONS.filter((m) => m.version <= BASE_VERSION).sort(
    (a, b) => a.version - b.version,
  )) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.description, T0);
  }
  const fill = db.transaction(() => {
    db.prepare(
      `INSERT INTO cards (id, issuer_dn, serial_number_hex, common_name, not_after, certificate_der)
       VALUES ('card-1', 'CN=Bench PIV CA', '01', 'Bench Holder', ?, x'3000')`,
    ).run(T0 + 10 * YEAR_MS);
    const session = (prefix: string, count: number) =>
      db.exec(`${numbers(count)} INSERT INTO kiosk_sessions (id, token_hash, card_id, created_at, expires_at)
        SELECT ${spreadId(prefix)}, ${spreadId(`${prefix}-token`)}, 'card-1', ${T0} + i * 100, ${T0} + i * 100 + ${LIFETIME_MS} FROM n`);
    const device = (prefix: string, count: number, status: string) =>
      db.exec(`${numbers(count)} INSERT INTO device_authorizations (id, device_code_hash, user_code_hash, client_id, status,
          created_at, expires_at, interval_seconds, card_id)
        SELECT ${spreadId(prefix)}, ${spreadId(`${prefix}-dc`)}, ${spreadId(`${prefix}-uc`)}, 'dck-phone', '${status}',
          ${T0} + i * 100, ${T0} + i * 100 + ${LIFETIME_MS}, 5, 'card-1' FROM n`);
    session('session', enrollments);
    device('device', enrollments, 'approved');
    db.exec(`${numbers(enrollments)} INSERT INTO enrollments (id, device_authorization_id, card_id, kiosk_session_id,
        status, otp_hash, otp_expires_at, created_at, completed_at)
      SELECT ${spreadId('enrollment')}, ${spreadId('device')}, 'card-1', ${spreadId('session')}, 'completed', 'otp',
        ${T0} + i * 100 + ${LIFETIME_MS}, ${T0} + i * 100, ${T0} + i * 100 + 60000 FROM n`);
    db.exec(`UPDATE device_authorizations SET enrollment_id = 'enrollment' || substr(id, 7)`);
    session('orphan-session', orphans);
    device('orphan-device', orphans, 'pending');
  });
  fill.immediate();
  db.close();
}

const purgeEntry = (): AuditEntryInput => ({
  at: Date.now(),
  event: 'purge',
  outcome: 'success',
  code: null,
  details: {},
});

const seconds = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e9;

const dir = mkdtempSync(join(tmpdir(), 'dck-bench-purge-'));
try {
  const file = join(dir, 'issuer.sqlite');
  const fillStarted = process.hrtime.bigint();
  makeDatabase(file, args.enrollments, args.orphans);
  console.log(`storage: ${storagePath}`);
  console.log(
    `filled at schema ${BASE_VERSION}: ${args.enrollments} finished enrollments, ${args.orphans} orphan sessions and ` +
      `device authorizations, in ${seconds(fillStarted).toFixed(1)} s`,
  );
  const openStarted = process.hrtime.bigint();
  const storage = openSqliteStorage(file, { checkpointIntervalMs: 0 });
  console.log(`open (applies this checkout's migrations after ${BASE_VERSION}): ${seconds(openStarted).toFixed(2)} s`);
  // A year after every row's expiry: each finished enrollment's session and device authorization is past the grace.
  const cutoff = T0 + YEAR_MS + args.enrollments * 100;
  try {
    for (let round = 1; round <= args.rounds; round += 1) {
      const started = process.hrtime.bigint();
      const result = await storage.purgeExpired(cutoff, purgeEntry);
      console.log(
        `round ${round}: ${(seconds(started) * 1000).toFixed(1)} ms, deleted ${result.deviceAuthorizations} device ` +
          `authorizations, ${result.kioskSessions} sessions, ${result.enrollments} enrollments`,
      );
    }
  } finally {
    await storage.close();
  }
  const reader = new Database(file, { readonly: true });
  const left = (table: string) => (reader.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  console.log(
    `left: ${left('enrollments')} enrollments, ${left('kiosk_sessions')} sessions, ` +
      `${left('device_authorizations')} device authorizations`,
  );
  reader.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

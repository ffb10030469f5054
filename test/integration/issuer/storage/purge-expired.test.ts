// The maintenance purge's rule (`purgeExpired`, issuer/storage/purge-picks.ts), on either store
// (purge-expired.postgres.test.ts runs it on PostgreSQL): an expired device authorization or kiosk session no
// enrollment refers to is deleted; one an enrollment refers to never is, however old; an unfinished enrollment past
// its OTP and its session goes, and its device authorization and session with it (a session another enrollment still
// refers to stays). The picks walk the partial indexes of migration 13, so the rows of finished enrollments (kept
// for ever) are not probed on every round; and migration 13 on a database left at version 12 counts the
// references of the rows already there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntryInput, IssuerStorage } from '../../../../issuer/storage/issuer-storage.ts';
import { toPostgresSql } from '../../../../issuer/storage/postgres-migrations.ts';
import { openPostgresStorage } from '../../../../issuer/storage/postgres-storage.ts';
import {
  PURGE_PICK_DEVICES,
  PURGE_PICK_ENROLLMENTS,
  PURGE_PICK_SESSIONS,
} from '../../../../issuer/storage/purge-picks.ts';
import { SQLITE_MIGRATIONS } from '../../../../issuer/storage/sqlite-migrations.ts';
import { openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';
import {
  T0,
  awaitingPhoneEnrollment,
  openSeedSession,
  pendingDeviceAuthorization,
} from '../../../unit/issuer/lifecycle/seed-credentials.ts';
import { sharedPostgres } from './postgres-server.ts';
import { currentStorageKind } from './storage-kinds.ts';

const DAY = 86_400_000;
/** A year after everything here expired: every row is past the grace. */
const CUTOFF = T0 + 365 * DAY;
const entry = (event: string): AuditEntryInput => ({ at: T0, event, outcome: 'success', code: null, details: {} });

/** The store under test, and plain SQL on its database (literal values only: the same text runs on both). */
interface Subject {
  storage: IssuerStorage;
  rows: (text: string) => Promise<Array<Record<string, unknown>>>;
  close: () => Promise<void>;
}

let dir = '';
let subject: Subject;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dck-purge-'));
});
afterEach(async () => {
  await subject.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A database of the current kind. `atVersion12`: first made with migrations up to 12 only and `seed` run on it in
 * plain SQL, as an issuer before migration 13 left it; the storage then opens it (applying 13).
 */
async function openSubject(atVersion12?: (exec: (text: string) => Promise<void>) => Promise<void>): Promise<Subject> {
  const upTo12 = SQLITE_MIGRATIONS.filter((m) => m.version <= 12).sort((a, b) => a.version - b.version);
  const createMigrations =
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)';
  if (currentStorageKind() === 'sqlite') {
    const file = join(dir, 'issuer.sqlite');
    if (atVersion12 !== undefined) {
      const db = new Database(file);
      db.exec(createMigrations);
      for (const m of upTo12) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.description, T0);
      }
      await atVersion12((text) => Promise.resolve(void db.exec(text)));
      db.close();
    }
    const storage = openSqliteStorage(file, { checkpointIntervalMs: 0 });
    const reader = new Database(file);
    return {
      storage,
      // A failing statement rejects, as pg's query does.
      rows: (text) =>
        Promise.resolve().then(() => {
          const statement = reader.prepare(text);
          if (statement.reader) return statement.all() as Array<Record<string, unknown>>;
          statement.run();
          return [];
        }),
      close: async () => {
        reader.close();
        await storage.close();
      },
    };
  }
  const settings = await (await sharedPostgres()).createDatabase();
  const client = new pg.Client({ connectionString: settings.url });
  await client.connect();
  if (atVersion12 !== undefined) {
    await client.query(createMigrations.replace(/INTEGER/g, 'BIGINT'));
    for (const m of upTo12) {
      await client.query(toPostgresSql(m));
      await client.query('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [m.version, m.description, T0]);
    }
    await atVersion12(async (text) => void (await client.query(text)));
  }
  const storage = await openPostgresStorage(settings);
  return {
    storage,
    rows: async (text) => (await client.query<Record<string, unknown>>(text)).rows,
    close: async () => {
      await client.end();
      await storage.close();
    },
  };
}

let counter = 0;

/** A kiosk session (with its card and challenge), expired at T0 + 15 min; returns its id. */
async function session(storage: IssuerStorage): Promise<string> {
  counter += 1;
  await openSeedSession(storage, counter);
  return `session-${counter}`;
}

/** A pending device authorization, expired at T0 + 10 min; returns its id. */
async function device(storage: IssuerStorage): Promise<string> {
  counter += 1;
  const id = `device-${counter}`;
  await storage.insertDeviceAuthorization(pendingDeviceAuthorization(counter), entry('device-authorization'));
  return id;
}

/** The session approves a new device authorization: an enrollment awaiting its phone (OTP expired at T0 + 10 min). */
async function enrollment(storage: IssuerStorage, sessionId: string): Promise<{ id: string; deviceId: string }> {
  const deviceId = await device(storage);
  const id = `enrollment-${deviceId}`;
  const cardId = sessionId.replace('session-', 'card-');
  const approved = await storage.approveDeviceAuthorization(
    deviceId,
    awaitingPhoneEnrollment({
      id,
      deviceAuthorizationId: deviceId,
      cardId,
      kioskSessionId: sessionId,
      otpHash: `otp-${id}`,
    }),
    5,
    entry('approve'),
  );
  if (approved !== 'approved') throw new Error(`not approved: ${approved}`);
  return { id, deviceId };
}

/** The enrollment as a redeem leaves it (the certificate row is not what the purge looks at). */
async function complete(id: string): Promise<void> {
  const rows = await subject.rows(
    `SELECT count(*) AS n FROM enrollments WHERE id = '${id}' AND status = 'awaiting-phone'`,
  );
  expect(Number(rows[0]?.n)).toBe(1);
  await subject.rows(`UPDATE enrollments SET status = 'completed', completed_at = ${T0 + 60_000} WHERE id = '${id}'`);
}

const sessionExists = async (id: string) =>
  (await subject.storage.findKioskSessionByTokenHash(id.replace('session-', 'token-'))) !== null;
const deviceExists = async (id: string) => (await subject.storage.findDeviceAuthorization(id)) !== null;

describe('purgeExpired: the rule', () => {
  it('deletes the expired session and device authorization no enrollment refers to, never a finished enrollment’s', async () => {
    subject = await openSubject();
    const { storage } = subject;
    const orphanSession = await session(storage);
    const orphanDevice = await device(storage);
    const finishedSession = await session(storage);
    const finished = await enrollment(storage, finishedSession);
    await complete(finished.id);

    expect(await storage.purgeExpired(CUTOFF, entry('purge'))).toMatchObject({
      enrollments: 0,
      deviceAuthorizations: 1,
      kioskSessions: 1,
    });
    expect(await sessionExists(orphanSession)).toBe(false);
    expect(await deviceExists(orphanDevice)).toBe(false);
    // Ten years on, still there.
    expect(await storage.purgeExpired(CUTOFF + 3650 * DAY, entry('purge'))).toMatchObject({
      enrollments: 0,
      deviceAuthorizations: 0,
      kioskSessions: 0,
    });
    expect(await sessionExists(finishedSession)).toBe(true);
    expect(await deviceExists(finished.deviceId)).toBe(true);
    expect(await storage.findEnrollment(finished.id)).toMatchObject({ status: 'completed' });
  });

  it('nothing before the cutoff: a session and device authorization not yet past the grace stay', async () => {
    subject = await openSubject();
    const { storage } = subject;
    const orphanSession = await session(storage);
    const orphanDevice = await device(storage);
    // Session expired at T0 + 15 min, device code at T0 + 10 min: a cutoff between the two takes the device only.
    const result = await storage.purgeExpired(T0 + 700_000, entry('purge'));
    expect([result.deviceAuthorizations, result.kioskSessions]).toEqual([1, 0]);
    expect(await sessionExists(orphanSession)).toBe(true);
    expect(await deviceExists(orphanDevice)).toBe(false);
  });

  it('an unfinished enrollment past its OTP and session goes, its device authorization and session with it', async () => {
    subject = await openSubject();
    const { storage } = subject;
    const sessionId = await session(storage);
    const unfinished = await enrollment(storage, sessionId);
    expect(await storage.purgeExpired(CUTOFF, entry('purge'))).toMatchObject({
      enrollments: 1,
      deviceAuthorizations: 1,
      kioskSessions: 1,
    });
    expect(await storage.findEnrollment(unfinished.id)).toBeNull();
    expect(await deviceExists(unfinished.deviceId)).toBe(false);
    expect(await sessionExists(sessionId)).toBe(false);
  });

  it('a session two phones were approved on: its unfinished enrollment goes, the session stays for the finished one', async () => {
    subject = await openSubject();
    const { storage } = subject;
    const sessionId = await session(storage);
    const finished = await enrollment(storage, sessionId);
    const unfinished = await enrollment(storage, sessionId);
    await complete(finished.id);
    expect(await storage.purgeExpired(CUTOFF, entry('purge'))).toMatchObject({
      enrollments: 1,
      deviceAuthorizations: 1,
      kioskSessions: 0,
    });
    expect(await storage.findEnrollment(unfinished.id)).toBeNull();
    expect(await deviceExists(unfinished.deviceId)).toBe(false);
    expect(await sessionExists(sessionId)).toBe(true);
    expect(await deviceExists(finished.deviceId)).toBe(true);
  });

  it('an enrollment keeps its session and device authorization (the counts the purge relies on cannot drift)', async () => {
    subject = await openSubject();
    const { storage } = subject;
    const sessionId = await session(storage);
    const other = await session(storage);
    const { id } = await enrollment(storage, sessionId);
    await expect(
      subject.rows(`UPDATE enrollments SET kiosk_session_id = '${other}' WHERE id = '${id}'`),
    ).rejects.toThrow(/keeps its session and device authorization/);
    expect(await storage.findEnrollment(id)).toMatchObject({ kioskSessionId: sessionId });
  });
});

describe('purgeExpired: the picks walk only rows no enrollment refers to', () => {
  it('each pick reads its table through the partial index of the rows it may delete', async () => {
    subject = await openSubject();
    const picks = [
      [PURGE_PICK_ENROLLMENTS, 'enrollments_unfinished_by_otp_expiry'],
      [PURGE_PICK_DEVICES, 'device_authorizations_unenrolled_by_expiry'],
      [PURGE_PICK_SESSIONS, 'kiosk_sessions_unenrolled_by_expiry'],
    ] as const;
    for (const [pick, index] of picks) {
      const text = `${pick.replace(/\$1/g, String(CUTOFF))} LIMIT 2000`;
      let plan: string;
      if (currentStorageKind() === 'sqlite') {
        plan = (await subject.rows(`EXPLAIN QUERY PLAN ${text}`)).map((row) => String(row.detail)).join('\n');
      } else {
        // On a near-empty table PostgreSQL reads it whole whatever the indexes; without that choice, the plan
        // names the index it would use at scale.
        await subject.rows('SET enable_seqscan = off');
        plan = (await subject.rows(`EXPLAIN ${text}`)).map((row) => String(row['QUERY PLAN'])).join('\n');
      }
      expect(plan).toContain(index);
    }
  });
});

describe('migration 13 on a database left at version 12', () => {
  it('counts the references of the rows already there: only the unreferenced expired ones are purged', async () => {
    const sql = (table: string, columns: string, values: string[]) =>
      `INSERT INTO ${table} (${columns}) VALUES ${values.map((v) => `(${v})`).join(', ')}`;
    // The card's certificate bytes (not looked at): a BLOB literal in each dialect.
    const derLiteral = currentStorageKind() === 'sqlite' ? "x'3000'" : "'\\x3000'::bytea";
    subject = await openSubject(async (exec) => {
      await exec(
        sql('cards', 'id, issuer_dn, serial_number_hex, common_name, not_after, certificate_der', [
          `'card-1', 'CN=Test PIV CA', 'c1', 'Holder 1', ${T0 + 1000 * DAY}, ${derLiteral}`,
        ]),
      );
      await exec(
        sql(
          'kiosk_sessions',
          'id, token_hash, card_id, created_at, expires_at',
          ['s-two', 's-one', 's-orphan'].map((id) => `'${id}', 'token-${id}', 'card-1', ${T0}, ${T0 + 900_000}`),
        ),
      );
      await exec(
        sql(
          'device_authorizations',
          'id, device_code_hash, user_code_hash, client_id, status, created_at, expires_at, interval_seconds',
          ['d-1', 'd-2', 'd-3', 'd-orphan'].map(
            (id) => `'${id}', 'dc-${id}', 'uc-${id}', 'dck-phone', 'approved', ${T0}, ${T0 + 600_000}, 5`,
          ),
        ),
      );
      await exec(
        sql(
          'enrollments',
          'id, device_authorization_id, card_id, kiosk_session_id, status, otp_hash, otp_expires_at, created_at',
          [
            ['e-1', 'd-1', 's-two'],
            ['e-2', 'd-2', 's-two'],
            ['e-3', 'd-3', 's-one'],
          ].map(([id, d, s]) => `'${id}', '${d}', 'card-1', '${s}', 'completed', 'otp', ${T0 + 600_000}, ${T0}`),
        ),
      );
    });
    const counts = async (table: string): Promise<Record<string, number>> =>
      Object.fromEntries(
        (await subject.rows(`SELECT id, enrollment_count FROM ${table} ORDER BY id`)).map((row) => [
          String(row.id),
          Number(row.enrollment_count),
        ]),
      );
    expect(await counts('kiosk_sessions')).toEqual({ 's-one': 1, 's-orphan': 0, 's-two': 2 });
    expect(await counts('device_authorizations')).toEqual({ 'd-1': 1, 'd-2': 1, 'd-3': 1, 'd-orphan': 0 });
    expect(await subject.storage.purgeExpired(CUTOFF, entry('purge'))).toMatchObject({
      enrollments: 0,
      deviceAuthorizations: 1,
      kioskSessions: 1,
    });
    expect(Object.keys(await counts('kiosk_sessions'))).toEqual(['s-one', 's-two']);
    expect(Object.keys(await counts('device_authorizations'))).toEqual(['d-1', 'd-2', 'd-3']);
  });
});

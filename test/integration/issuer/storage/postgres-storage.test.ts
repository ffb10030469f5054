// The PostgreSQL store against a real PostgreSQL 15 (a private cluster, postgres-server.ts): the migrations give
// the same schema as on SQLite (tables, columns, types, indexes), the audit log is append-only there too, two
// nodes migrating one new database together apply each migration once, and the database going away under load
// makes requests fail with `storage-unavailable` (never half-written) and the store recover by itself. The guess
// release's one statement keeps the card → session lock order only through the planner's one-time filter: its plan
// is checked here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntryInput, IssuerStorage } from '../../../../issuer/storage/issuer-storage.ts';
import {
  hasSqliteTriggers,
  POSTGRES_ONLY_MIGRATIONS,
  POSTGRES_TRIGGERS,
  postgresMigrations,
} from '../../../../issuer/storage/postgres-migrations.ts';
import { openPostgresStorage, RELEASE_GUESS } from '../../../../issuer/storage/postgres-storage.ts';
import { SQLITE_MIGRATIONS } from '../../../../issuer/storage/sqlite-migrations.ts';
import { openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';
import { startPostgres } from './postgres-server.ts';
import type { PostgresServer } from './postgres-server.ts';

let server: PostgresServer;
let dir = '';
beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'dck-pg-schema-'));
});
afterAll(async () => {
  await server.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const entry = (event: string): AuditEntryInput => ({
  at: Date.now(),
  event,
  outcome: 'success',
  code: null,
  details: { n: 1 },
});

/** table.column → type, as each database names it, mapped to one vocabulary. */
type Schema = Record<string, string>;
const TYPE_NAMES: Record<string, string> = {
  integer: 'integer',
  bigint: 'integer',
  text: 'text',
  blob: 'bytes',
  bytea: 'bytes',
};

function sqliteSchema(): { columns: Schema; indexes: string[] } {
  const file = join(dir, 'schema.sqlite');
  openSqliteStorage(file, { checkpointIntervalMs: 0 })
    .close()
    .catch(() => undefined);
  const db = new Database(file, { readonly: true });
  try {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{
        name: string;
      }>
    ).map((row) => row.name);
    const columns: Schema = {};
    for (const table of tables) {
      for (const column of db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string; type: string }>) {
        columns[`${table}.${column.name}`] = TYPE_NAMES[column.type.toLowerCase()] ?? column.type;
      }
    }
    const indexes = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as Array<{
        name: string;
      }>
    ).map((row) => row.name);
    return { columns, indexes: indexes.sort() };
  } finally {
    db.close();
  }
}

async function postgresSchema(url: string): Promise<{ columns: Schema; indexes: string[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns: Schema = {};
    const rows = await client.query<{ table_name: string; column_name: string; data_type: string }>(
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'",
    );
    for (const row of rows.rows) {
      columns[`${row.table_name}.${row.column_name}`] = TYPE_NAMES[row.data_type] ?? row.data_type;
    }
    // Indexes made by CREATE INDEX (PostgreSQL also lists those behind PRIMARY KEY and UNIQUE: SQLite's have no sql).
    const indexes = await client.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT IN
       (SELECT conname FROM pg_constraint)`,
    );
    return { columns, indexes: indexes.rows.map((row) => row.indexname).sort() };
  } finally {
    await client.end();
  }
}

describe('PostgreSQL migrations', () => {
  it('give the same tables, columns, types and indexes as on SQLite', async () => {
    const settings = await server.createDatabase();
    await (await openPostgresStorage(settings)).close();
    const [lite, postgres] = [sqliteSchema(), await postgresSchema(settings.url)];
    expect(Object.keys(lite.columns).length).toBeGreaterThan(50);
    expect(postgres.columns).toEqual(lite.columns);
    expect(postgres.indexes).toEqual(lite.indexes);
  });

  it('have a PostgreSQL twin for every migration with SQLite triggers', () => {
    const needing = SQLITE_MIGRATIONS.filter((migration) => hasSqliteTriggers(migration.sql)).map((m) => m.version);
    expect(needing.length).toBeGreaterThan(0);
    expect(needing.filter((version) => POSTGRES_TRIGGERS[version] === undefined)).toEqual([]);
  });

  it("number PostgreSQL-only migrations apart from SQLite's, so each version is applied once", () => {
    const versions = postgresMigrations().map((migration) => migration.version);
    expect(versions).toHaveLength(SQLITE_MIGRATIONS.length + POSTGRES_ONLY_MIGRATIONS.length);
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('are applied once when two nodes open a new database together; the audit log stays append-only', async () => {
    const settings = await server.createDatabase();
    const nodes = await Promise.all([openPostgresStorage(settings), openPostgresStorage(settings)]);
    try {
      await nodes[0].appendAudit(entry('first'));
      const client = new pg.Client({ connectionString: settings.url });
      await client.connect();
      try {
        const applied = await client.query('SELECT version FROM schema_migrations');
        expect(applied.rowCount).toBe(SQLITE_MIGRATIONS.length + POSTGRES_ONLY_MIGRATIONS.length);
        await expect(client.query("UPDATE audit_log SET event = 'forged'")).rejects.toThrow(/append-only/);
        await expect(client.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
      } finally {
        await client.end();
      }
      expect((await nodes[1].listAudit(0, 10)).map((row) => row.event)).toEqual(['first']);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  });
});

describe('PostgreSQL restarted under load', () => {
  it('fails requests with storage-unavailable while it is down, writes nothing half, and recovers by itself', async () => {
    const restartable = await startPostgres();
    let storage: IssuerStorage | null = null;
    try {
      storage = await openPostgresStorage(await restartable.createDatabase({ connectTimeoutMs: 1_000 }));
      const store = storage;
      let stopped = false;
      const outcomes: string[] = [];
      // Load: a stream of audited writes, each one transaction, until the database has been back a while.
      const load = (async () => {
        for (let n = 0; !stopped; n += 1) {
          try {
            await store.appendAudit(entry(`write-${n}`));
            outcomes.push('ok');
          } catch (error: unknown) {
            outcomes.push((error as { code?: string }).code ?? String(error));
          }
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await restartable.stop();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const duringOutage = outcomes.length;
      await restartable.start();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      stopped = true;
      await load;
      const failures = outcomes.filter((outcome) => outcome !== 'ok');
      expect(failures.length).toBeGreaterThan(0);
      expect(new Set(failures)).toEqual(new Set(['storage-unavailable']));
      // After the restart, writes succeed again without anyone reopening the store.
      expect(outcomes.slice(duringOutage).filter((outcome) => outcome === 'ok').length).toBeGreaterThan(0);
      expect(outcomes.at(-1)).toBe('ok');
      // Every write that answered ok is in the log; none that failed is.
      const rows = await store.listAudit(0, 100_000);
      expect(rows).toHaveLength(outcomes.filter((outcome) => outcome === 'ok').length);
    } finally {
      await storage?.close();
      await restartable.destroy();
    }
  });
});

describe('the user_code guess release (one statement, PostgreSQL)', () => {
  it('locks the card before the session: the planner runs the card CTE as a one-time filter before the session scan', async () => {
    const storage = await openPostgresStorage(await server.createDatabase());
    try {
      const plan = (
        await storage.pool.read((sql) => sql.rows(`EXPLAIN (COSTS OFF) ${RELEASE_GUESS}`, ['card-1', 'session-1']))
      ).map((row) => String(row['QUERY PLAN']));
      const line = (pattern: RegExp) => plan.findIndex((text) => pattern.test(text));
      expect(line(/InitPlan/)).toBeGreaterThan(line(/CTE card/));
      expect(line(/One-Time Filter/)).toBeGreaterThan(line(/InitPlan/));
      expect(line(/Scan .*on kiosk_sessions/)).toBeGreaterThan(line(/One-Time Filter/));
      expect(line(/CTE card/)).toBeGreaterThanOrEqual(0);
    } finally {
      await storage.close();
    }
  });
});

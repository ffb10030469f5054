// verify-audit-log.test.ts's cases on PostgreSQL (a private cluster, postgres-server.ts), tampering with raw SQL as
// someone holding the database would (its triggers disabled first): rows written through the real PostgreSQL storage
// verify; an edit or a deletion is named; rows written before migration 8 are sealed on upgrade (an edit among them
// shows at the seal); the retention verifies what it drops, refuses rows that do not verify, and the rest verifies
// from its checkpoints. (The SQLite file itself is verify-audit-log.test.ts's.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../../../issuer/audit/verify-audit-log.ts';
import { parseIssuerConfig } from '../../../../issuer/config.ts';
import { applyAuditRetention } from '../../../../issuer/maintenance/audit-retention.ts';
import type { AuditEntryInput } from '../../../../issuer/storage/issuer-storage.ts';
import { appendAuditRow } from '../../../../issuer/storage/postgres-audit.ts';
import { openPostgresPool } from '../../../../issuer/storage/postgres-connection.ts';
import type { PostgresSettings } from '../../../../issuer/storage/postgres-connection.ts';
import { toPostgresSql } from '../../../../issuer/storage/postgres-migrations.ts';
import { openPostgresStorage } from '../../../../issuer/storage/postgres-storage.ts';
import type { PostgresStorage } from '../../../../issuer/storage/postgres-storage.ts';
import { SQLITE_MIGRATIONS } from '../../../../issuer/storage/sqlite-migrations.ts';
import { startPostgres } from '../storage/postgres-server.ts';
import type { PostgresServer } from '../storage/postgres-server.ts';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const DAY = 86_400_000;
const RETENTION = parseIssuerConfig({ audit: { retentionDays: 365 } });

let server: PostgresServer;
let dir = '';
const open: PostgresStorage[] = [];
beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'dck-pg-audit-chain-'));
});
afterEach(async () => {
  for (const storage of open.splice(0)) await storage.close();
});
afterAll(async () => {
  await server.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const entry = (n: number, at = T0 + n): AuditEntryInput => ({
  at,
  event: `event-${n}`,
  outcome: n % 3 === 0 ? 'failure' : 'success',
  code: n % 3 === 0 ? 'refused' : null,
  details: { n, note: `row ${n}` },
});

async function openStorage(settings: PostgresSettings): Promise<PostgresStorage> {
  const storage = await openPostgresStorage(settings);
  open.push(storage);
  return storage;
}

/** Raw SQL as an intruder with the database: the append-only and head triggers disabled first. */
async function tamper(storage: PostgresStorage, statements: string): Promise<void> {
  await storage.pool.transaction(async (sql) => {
    await sql.count(`ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_chains DISABLE TRIGGER USER;
      ${statements}; ALTER TABLE audit_log ENABLE TRIGGER USER; ALTER TABLE audit_chains ENABLE TRIGGER USER;`);
  });
}

/** A database as main left it before the chain: migrations 1–6, five audit rows 400 days old. */
async function preChainDatabase(): Promise<PostgresSettings> {
  const settings = await server.createDatabase();
  const pool = openPostgresPool(settings);
  try {
    await pool.transaction(async (sql) => {
      await sql.count(
        'CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      for (const migration of SQLITE_MIGRATIONS.filter((m) => m.version < 7).sort((a, b) => a.version - b.version)) {
        await sql.count(toPostgresSql(migration));
        await sql.count('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [
          migration.version,
          migration.description,
          T0,
        ]);
      }
      for (let n = 1; n <= 5; n += 1)
        await sql.count(
          "INSERT INTO audit_log (at, event, outcome, code, details) VALUES ($1, $2, 'success', NULL, $3)",
          [T0 - 400 * DAY + n, `old-${n}`, JSON.stringify({ n })],
        );
    });
  } finally {
    await pool.end();
  }
  return settings;
}

describe('audit chain on PostgreSQL', () => {
  it('verifies untouched; an edited row and a deleted row are named', async () => {
    const storage = await openStorage(await server.createDatabase());
    for (let n = 1; n <= 10; n += 1) await storage.appendAudit(entry(n));
    expect(await verifyAuditLog(storage)).toEqual({ rows: 10, chains: 1, firstBreak: null });
    await tamper(storage, `UPDATE audit_log SET details = '{"n":4,"note":"nothing to see"}' WHERE sequence = 4`);
    expect((await verifyAuditLog(storage)).firstBreak).toMatchObject({ sequence: 4, problem: 'edited' });

    const other = await openStorage(await server.createDatabase());
    for (let n = 1; n <= 10; n += 1) await other.appendAudit(entry(n));
    await tamper(other, 'DELETE FROM audit_log WHERE sequence = 6');
    expect((await verifyAuditLog(other)).firstBreak).toMatchObject({
      sequence: 7,
      chainSequence: 6,
      problem: 'missing',
    });
  });

  it('rows from before migration 8 are sealed on upgrade and verify; an edit among them is found at the seal', async () => {
    const storage = await openStorage(await preChainDatabase());
    await storage.appendAudit(entry(6));
    expect(await verifyAuditLog(storage)).toEqual({ rows: 6, chains: 1, firstBreak: null });
    expect((await storage.readAuditChainState()).genesis).toMatchObject({ upToSequence: 5, rows: 5 });
    await tamper(storage, `UPDATE audit_log SET event = 'nothing' WHERE sequence = 2`);
    expect((await verifyAuditLog(storage)).firstBreak).toMatchObject({
      sequence: 5,
      chainId: 'legacy',
      problem: 'genesis',
    });
  });

  it('a second node opening the upgraded database finds the seal and adds none', async () => {
    const settings = await preChainDatabase();
    const [first, second] = await Promise.all([openStorage(settings), openStorage(settings)]);
    await first.appendAudit(entry(6));
    await second.appendAudit(entry(7));
    expect(await verifyAuditLog(second)).toMatchObject({ rows: 7, firstBreak: null });
    expect((await second.readAuditChainState()).genesis).toMatchObject({ upToSequence: 5, rows: 5 });
  });

  it('the retention drops sealed and chained rows and what is left verifies from the checkpoints', async () => {
    const storage = await openStorage(await preChainDatabase());
    // Rows 6–8 old enough to go, 9–10 not.
    for (let n = 6; n <= 8; n += 1) await storage.appendAudit(entry(n, T0 - 400 * DAY + n));
    for (let n = 9; n <= 10; n += 1) await storage.appendAudit(entry(n));
    const result = await applyAuditRetention(storage, RETENTION, dir, new Date(T0));
    expect(result.exportedRows).toBe(8);
    const left = await storage.listAudit(0, 100);
    expect(left.map((row) => row.event)).toEqual(['event-9', 'event-10', 'audit-retention']);
    expect(await verifyAuditLog(storage)).toMatchObject({ rows: 3, firstBreak: null });
    // A row deleted after the retention, next to the checkpoint, is still found.
    await tamper(storage, `DELETE FROM audit_log WHERE event = 'event-9'`);
    expect((await verifyAuditLog(storage)).firstBreak).toMatchObject({ chainSequence: 4, problem: 'missing' });
  });

  it('the retention refuses to drop rows that do not verify, drops nothing, and verify still names the row', async () => {
    const storage = await openStorage(await server.createDatabase());
    for (let n = 1; n <= 5; n += 1) await storage.appendAudit(entry(n, T0 - 400 * DAY + n));
    await tamper(storage, `UPDATE audit_log SET code = 'edited' WHERE sequence = 2`);
    await expect(applyAuditRetention(storage, RETENTION, dir, new Date(T0))).rejects.toThrow(
      /rows to drop do not verify: audit row 2 does not match its hash/,
    );
    expect(await storage.listAudit(0, 100)).toHaveLength(5);
    expect((await verifyAuditLog(storage)).firstBreak).toMatchObject({ sequence: 2, problem: 'edited' });
  });

  it('an audited change never waits on another under way in the same process: each holds its own chain', async () => {
    const storage = await openStorage(await server.createDatabase({ statementTimeoutMs: 3000 }));
    await storage.appendAudit(entry(1));
    let letFirstCommit = (): void => undefined;
    const firstHeld = new Promise<void>((resolve) => {
      letFirstCommit = resolve;
    });
    let firstWrote = (): void => undefined;
    const firstHasItsRow = new Promise<void>((resolve) => {
      firstWrote = resolve;
    });
    // The first transaction writes its audit row and stays open (its head row locked until it commits).
    const first = storage.pool.transaction(async (sql) => {
      await appendAuditRow(sql, entry(2));
      firstWrote();
      await firstHeld;
    });
    await firstHasItsRow;
    // With one chain per process this waited on the first's head lock until the statement timeout (storage-busy).
    await storage.appendAudit(entry(3));
    letFirstCommit();
    await first;
    // Sequential changes after that reuse the chains there are: no new chain per change.
    for (let n = 4; n <= 8; n += 1) await storage.appendAudit(entry(n));
    expect(await verifyAuditLog(storage)).toEqual({ rows: 8, chains: 2, firstBreak: null });
  });
});

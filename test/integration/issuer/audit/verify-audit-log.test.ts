// The audit log's hash chains on a real database file: rows written through the real SQLite storage, then tampered
// with by raw SQL as someone holding the file would (triggers dropped first), each way: `verifyAuditLog` names the
// first broken row and what is wrong with it. Also: rows written before the chain began (a database from before
// migration 8) are sealed and verify; the retention drops old rows and the rest still verifies from its checkpoint,
// and it refuses to drop rows that do not verify.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { auditRowHash } from '../../../../issuer/audit/audit-chain.ts';
import { verifyAuditLog } from '../../../../issuer/audit/verify-audit-log.ts';
import { parseIssuerConfig } from '../../../../issuer/config.ts';
import { applyAuditRetention } from '../../../../issuer/maintenance/audit-retention.ts';
import type { AuditEntryInput, IssuerStorage } from '../../../../issuer/storage/issuer-storage.ts';
import { SQLITE_MIGRATIONS } from '../../../../issuer/storage/sqlite-migrations.ts';
import { openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const DAY = 86_400_000;

let dir = '';
const open: IssuerStorage[] = [];
afterEach(async () => {
  for (const storage of open.splice(0)) await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

function databaseFile(): string {
  dir = mkdtempSync(join(tmpdir(), 'dck-audit-chain-'));
  return join(dir, 'issuer.sqlite');
}

function openStorage(file: string): IssuerStorage {
  const storage = openSqliteStorage(file, { checkpointIntervalMs: 0 });
  open.push(storage);
  return storage;
}

const entry = (n: number, at = T0 + n): AuditEntryInput => ({
  at,
  event: `event-${n}`,
  outcome: n % 3 === 0 ? 'failure' : 'success',
  code: n % 3 === 0 ? 'refused' : null,
  details: { n, note: `row ${n}` },
});

/** Ten rows from one writer (one chain), sequences 1–10; the storage is closed so raw SQL has the file. */
async function tenRows(): Promise<string> {
  const file = databaseFile();
  const storage = openSqliteStorage(file, { checkpointIntervalMs: 0 });
  for (let n = 1; n <= 10; n += 1) await storage.appendAudit(entry(n));
  await storage.close();
  return file;
}

/** Raw SQL as an intruder with the file: the append-only triggers dropped first. */
function tamper(file: string, sql: string): void {
  const db = new Database(file);
  db.exec(`DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_delete_only_exported;
    DROP TRIGGER IF EXISTS audit_chains_head_only_forward;`);
  db.exec(sql);
  db.close();
}

async function verify(file: string) {
  return verifyAuditLog(openStorage(file));
}

describe('audit chain: untouched', () => {
  it('verifies, and every row links to the one before it in its chain', async () => {
    const file = await tenRows();
    const storage = openStorage(file);
    expect(await verifyAuditLog(storage)).toEqual({ rows: 10, chains: 1, firstBreak: null });
    const rows = await storage.listAudit(0, 100);
    expect(rows.map((row) => row.chain?.chainSequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const [i, row] of rows.entries()) {
      if (i > 0) expect(row.chain?.previousHash).toBe(rows[i - 1]?.chain?.hash);
    }
  });
});

describe('audit chain: tampered with raw SQL, verify names the first broken row', () => {
  it('an edited row (details changed)', async () => {
    const file = await tenRows();
    tamper(file, `UPDATE audit_log SET details = '{"n":4,"note":"nothing to see"}' WHERE sequence = 4`);
    expect((await verify(file)).firstBreak).toMatchObject({ sequence: 4, chainSequence: 4, problem: 'edited' });
  });

  it('an edited row whose hash was recomputed too: the next row no longer links to it', async () => {
    const file = await tenRows();
    const db = new Database(file);
    const row = db.prepare('SELECT * FROM audit_log WHERE sequence = 4').get() as Record<string, string | number>;
    db.close();
    const forged = auditRowHash(
      String(row.chain_id),
      4,
      { at: Number(row.at), event: 'event-4', outcome: 'success', code: null },
      '{"n":4,"note":"forged"}',
      String(row.previous_hash),
    );
    tamper(
      file,
      `UPDATE audit_log SET details = '{"n":4,"note":"forged"}', outcome = 'success', code = NULL, hash = '${forged}'
      WHERE sequence = 4`,
    );
    expect((await verify(file)).firstBreak).toMatchObject({ sequence: 5, chainSequence: 5, problem: 'broken-link' });
  });

  it('a deleted row', async () => {
    const file = await tenRows();
    tamper(file, 'DELETE FROM audit_log WHERE sequence = 6');
    expect((await verify(file)).firstBreak).toMatchObject({ sequence: 7, chainSequence: 6, problem: 'missing' });
  });

  it('the last rows deleted (the chain ends short of its head)', async () => {
    const file = await tenRows();
    tamper(file, 'DELETE FROM audit_log WHERE sequence >= 9');
    expect((await verify(file)).firstBreak).toMatchObject({ sequence: null, chainSequence: 9, problem: 'missing' });
  });

  it('two rows reordered (sequence numbers swapped)', async () => {
    const file = await tenRows();
    tamper(
      file,
      `UPDATE audit_log SET sequence = 100 WHERE sequence = 3; UPDATE audit_log SET sequence = 3 WHERE sequence = 4;
      UPDATE audit_log SET sequence = 4 WHERE sequence = 100;`,
    );
    expect((await verify(file)).firstBreak).toMatchObject({ sequence: 3, chainSequence: 3, problem: 'missing' });
  });

  it('a row inserted without chain fields', async () => {
    const file = await tenRows();
    tamper(
      file,
      `INSERT INTO audit_log (at, event, outcome, code, details) VALUES (${T0}, 'x', 'success', NULL, '{}')`,
    );
    expect((await verify(file)).firstBreak).toMatchObject({ sequence: 11, problem: 'unchained' });
  });

  it('a row inserted in a chain no writer registered', async () => {
    const file = await tenRows();
    const hash = auditRowHash(
      'forged',
      1,
      { at: T0, event: 'x', outcome: 'success', code: null },
      '{}',
      '0'.repeat(64),
    );
    tamper(
      file,
      `INSERT INTO audit_log (at, event, outcome, code, details, chain_id, chain_sequence, previous_hash, hash)
      VALUES (${T0}, 'x', 'success', NULL, '{}', 'forged', 1, '${'0'.repeat(64)}', '${hash}')`,
    );
    expect((await verify(file)).firstBreak).toMatchObject({ sequence: 11, problem: 'unknown-chain' });
  });

  it('a well-formed row appended to a chain behind its writer (head not moved)', async () => {
    const file = await tenRows();
    const db = new Database(file);
    const last = db.prepare('SELECT * FROM audit_log WHERE sequence = 10').get() as Record<string, string | number>;
    db.close();
    const chainId = String(last.chain_id);
    const hash = auditRowHash(
      chainId,
      11,
      { at: T0, event: 'x', outcome: 'success', code: null },
      '{}',
      String(last.hash),
    );
    tamper(
      file,
      `INSERT INTO audit_log (at, event, outcome, code, details, chain_id, chain_sequence, previous_hash, hash)
      VALUES (${T0}, 'x', 'success', NULL, '{}', '${chainId}', 11, '${String(last.hash)}', '${hash}')`,
    );
    expect((await verify(file)).firstBreak).toMatchObject({ sequence: 11, chainSequence: 11, problem: 'inserted' });
  });
});

describe('audit chain: rows from before migration 8', () => {
  /** A database as main left it before the chain: migrations 1–6, five audit rows. */
  function preChainDatabase(file: string): void {
    const db = new Database(file);
    db.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    for (const migration of SQLITE_MIGRATIONS.filter((m) => m.version < 7).sort((a, b) => a.version - b.version)) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.description, T0);
    }
    const insert = db.prepare('INSERT INTO audit_log (at, event, outcome, code, details) VALUES (?, ?, ?, NULL, ?)');
    for (let n = 1; n <= 5; n += 1) insert.run(T0 - 400 * DAY + n, `old-${n}`, 'success', JSON.stringify({ n }));
    db.close();
  }

  it('are sealed on upgrade and verify with the chained rows after them; an edit among them is found', async () => {
    const file = databaseFile();
    preChainDatabase(file);
    const storage = openSqliteStorage(file, { checkpointIntervalMs: 0 });
    await storage.appendAudit(entry(6));
    expect(await verifyAuditLog(storage)).toEqual({ rows: 6, chains: 1, firstBreak: null });
    expect((await storage.readAuditChainState()).genesis).toMatchObject({ upToSequence: 5, rows: 5 });
    await storage.close();
    tamper(file, `UPDATE audit_log SET event = 'nothing' WHERE sequence = 2`);
    expect((await verify(file)).firstBreak).toMatchObject({ sequence: 5, chainId: 'legacy', problem: 'genesis' });
  });

  it('the retention drops them (and chained rows) and what is left verifies from the checkpoints', async () => {
    const file = databaseFile();
    preChainDatabase(file);
    const storage = openStorage(file);
    // Rows 6–8 old enough to go, 9–10 not.
    for (let n = 6; n <= 8; n += 1) await storage.appendAudit(entry(n, T0 - 400 * DAY + n));
    for (let n = 9; n <= 10; n += 1) await storage.appendAudit(entry(n));
    const config = parseIssuerConfig({ audit: { retentionDays: 365 } });
    const result = await applyAuditRetention(storage, config, dir, new Date(T0));
    expect(result.exportedRows).toBe(8);
    const left = await storage.listAudit(0, 100);
    expect(left.map((row) => row.event)).toEqual(['event-9', 'event-10', 'audit-retention']);
    expect(await verifyAuditLog(storage)).toMatchObject({ rows: 3, firstBreak: null });
  });
});

describe('audit chain: retention', () => {
  it('refuses to drop rows that do not verify, drops nothing, and verify still names the row', async () => {
    const file = databaseFile();
    let storage = openSqliteStorage(file, { checkpointIntervalMs: 0 });
    for (let n = 1; n <= 5; n += 1) await storage.appendAudit(entry(n, T0 - 400 * DAY + n));
    await storage.close();
    tamper(file, `UPDATE audit_log SET code = 'edited' WHERE sequence = 2`);
    storage = openStorage(file);
    const config = parseIssuerConfig({ audit: { retentionDays: 365 } });
    await expect(applyAuditRetention(storage, config, dir, new Date(T0))).rejects.toThrow(
      /rows to drop do not verify: audit row 2 does not match its hash/,
    );
    expect(await storage.listAudit(0, 100)).toHaveLength(5);
    expect((await verifyAuditLog(storage)).firstBreak).toMatchObject({ sequence: 2, problem: 'edited' });
  });

  it('a row deleted after a retention, next to the checkpoint, is still found', async () => {
    const file = databaseFile();
    const storage = openSqliteStorage(file, { checkpointIntervalMs: 0 });
    for (let n = 1; n <= 3; n += 1) await storage.appendAudit(entry(n, T0 - 400 * DAY + n));
    for (let n = 4; n <= 6; n += 1) await storage.appendAudit(entry(n));
    const config = parseIssuerConfig({ audit: { retentionDays: 365 } });
    await applyAuditRetention(storage, config, dir, new Date(T0));
    await storage.close();
    tamper(file, 'DELETE FROM audit_log WHERE sequence = 4');
    expect((await verify(file)).firstBreak).toMatchObject({ sequence: 5, chainSequence: 4, problem: 'missing' });
  });
});

// The PostgreSQL audit chain's head kept in the process (issuer/storage/postgres-audit.ts), on a private cluster
// (postgres-server.ts): the process writes a row from the head it committed last without reading it, so what must
// hold is that a rolled-back change leaves nothing of itself in that head, that a head moved behind the process's
// back is never written past with a wrong previous hash, and that each store keeps its own chains. With the head
// cached, a change and its row are one statement outside a transaction (auditedChange): never the one without the
// other, and the cache moves only with an answer.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditRowHash } from '../../../../issuer/audit/audit-chain.ts';
import { verifyAuditLog } from '../../../../issuer/audit/verify-audit-log.ts';
import type { AuditEntryInput } from '../../../../issuer/storage/issuer-storage.ts';
import { appendAuditRow, auditedChange } from '../../../../issuer/storage/postgres-audit.ts';
import { StorageUnavailableError } from '../../../../issuer/storage/postgres-connection.ts';
import { openPostgresStorage } from '../../../../issuer/storage/postgres-storage.ts';
import type { PostgresStorage } from '../../../../issuer/storage/postgres-storage.ts';
import type { PostgresSettings } from '../../../../issuer/storage/postgres-connection.ts';
import { startPostgres } from './postgres-server.ts';
import type { PostgresServer } from './postgres-server.ts';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

let server: PostgresServer;
const open: PostgresStorage[] = [];
beforeAll(async () => {
  server = await startPostgres();
});
afterEach(async () => {
  for (const storage of open.splice(0)) await storage.close();
});
afterAll(async () => {
  await server.destroy();
});

const entry = (n: number): AuditEntryInput => ({
  at: T0 + n,
  event: `event-${n}`,
  outcome: 'success',
  code: null,
  details: { n },
});

async function openStorage(settings: PostgresSettings): Promise<PostgresStorage> {
  const storage = await openPostgresStorage(settings);
  open.push(storage);
  return storage;
}

const chainRows = (storage: PostgresStorage) =>
  storage.pool.read((sql) =>
    sql.rows('SELECT chain_id, chain_sequence, previous_hash, hash FROM audit_log ORDER BY sequence'),
  );

/**
 * Another writer with the same chain id (a second process, a restored database) adds row 2 after the process's
 * row 1 and moves the head: the process's cached head is stale. Returns the chain and row 2's hash.
 */
async function moveHeadBehindTheProcess(storage: PostgresStorage): Promise<{ chainId: string; hash: string }> {
  const [first] = await chainRows(storage);
  const chainId = String(first?.chain_id);
  const moved = entry(2);
  const details = JSON.stringify(moved.details);
  const hash = auditRowHash(chainId, 2, moved, details, String(first?.hash));
  await storage.pool.transaction(async (sql) => {
    await sql.count(
      `INSERT INTO audit_log (at, event, outcome, code, details, chain_id, chain_sequence, previous_hash, hash)
      VALUES ($1, $2, $3, $4, $5, $6, 2, $7, $8)`,
      [moved.at, moved.event, moved.outcome, moved.code, details, chainId, first?.hash, hash],
    );
    await sql.count('UPDATE audit_chains SET head_sequence = 2, head_hash = $1 WHERE chain_id = $2', [hash, chainId]);
  });
  return { chainId, hash };
}

describe('audit chain head kept in the process (PostgreSQL)', () => {
  it('a rolled-back audited change moves nothing: the next committed row follows the last committed one', async () => {
    const storage = await openStorage(await server.createDatabase());
    await storage.appendAudit(entry(1));
    await expect(
      storage.pool.transaction(async (sql) => {
        await appendAuditRow(sql, entry(2));
        await appendAuditRow(sql, entry(3));
        throw new Error('the change after the audit rows failed');
      }),
    ).rejects.toThrow('the change after the audit rows failed');
    await storage.appendAudit(entry(4));
    await storage.appendAudit(entry(5));
    const rows = await chainRows(storage);
    expect(rows.map((row) => row.chain_sequence)).toEqual([1, 2, 3]);
    expect(rows[1]?.previous_hash).toBe(rows[0]?.hash);
    expect(await verifyAuditLog(storage)).toEqual({ rows: 3, chains: 1, firstBreak: null });
  });

  it('a head moved behind the process is not written past: the row links to the real head and the log verifies', async () => {
    const storage = await openStorage(await server.createDatabase());
    await storage.appendAudit(entry(1));
    const { chainId, hash } = await moveHeadBehindTheProcess(storage);
    // The process's cached head still says row 1: its row must become 3, linked to row 2, never a second row 2.
    await storage.appendAudit(entry(3));
    const rows = await chainRows(storage);
    expect(rows.map((row) => [row.chain_id, row.chain_sequence])).toEqual([
      [chainId, 1],
      [chainId, 2],
      [chainId, 3],
    ]);
    expect(rows[2]?.previous_hash).toBe(hash);
    expect(await verifyAuditLog(storage)).toEqual({ rows: 3, chains: 1, firstBreak: null });
  });

  it('two stores in one process keep their own chains, even on one database', async () => {
    const settings = await server.createDatabase();
    const [first, second] = [await openStorage(settings), await openStorage(settings)];
    for (let n = 1; n <= 6; n += 2) {
      await first.appendAudit(entry(n));
      await second.appendAudit(entry(n + 1));
    }
    const rows = await chainRows(first);
    expect(new Set(rows.map((row) => row.chain_id)).size).toBe(2);
    expect(rows.map((row) => row.chain_sequence)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(await verifyAuditLog(first)).toEqual({ rows: 6, chains: 2, firstBreak: null });
  });
});

/** A table of the test's own: the change each auditedChange makes, counted, so a change written twice shows. */
async function openWithScratch(settings: PostgresSettings): Promise<PostgresStorage> {
  const storage = await openStorage(settings);
  await storage.pool.transaction((sql) =>
    sql.count('CREATE TABLE scratch (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n BIGINT NOT NULL)'),
  );
  return storage;
}

const INSERT_SCRATCH = 'INSERT INTO scratch (n) VALUES ($1)';
const scratchRows = async (storage: PostgresStorage) =>
  (await storage.pool.read((sql) => sql.rows('SELECT n FROM scratch ORDER BY id'))).map((row) => Number(row.n));
const dbHead = async (storage: PostgresStorage, chainId: string) => {
  const row = await storage.pool.read((sql) =>
    sql.one('SELECT head_sequence, head_hash FROM audit_chains WHERE chain_id = $1', [chainId]),
  );
  return { sequence: Number(row?.head_sequence), hash: String(row?.head_hash) };
};

describe('an audited change in one statement (PostgreSQL, the head cached)', () => {
  it('writes the change and its row together, and the cached head is the database head', async () => {
    const storage = await openWithScratch(await server.createDatabase());
    await storage.appendAudit(entry(1));
    expect(await auditedChange(storage.pool, INSERT_SCRATCH, [2], entry(2))).toBe(true);
    expect(await scratchRows(storage)).toEqual([2]);
    const rows = await chainRows(storage);
    expect(rows.map((row) => row.chain_sequence)).toEqual([1, 2]);
    const chainId = String(rows[0]?.chain_id);
    expect(storage.pool.auditChains.committedHeads.get(chainId)).toEqual(await dbHead(storage, chainId));
    expect(await verifyAuditLog(storage)).toEqual({ rows: 2, chains: 1, firstBreak: null });
  });

  it('a change that matches nothing writes no row, and the head and its cache stay', async () => {
    const storage = await openWithScratch(await server.createDatabase());
    await storage.appendAudit(entry(1));
    const chainId = String((await chainRows(storage))[0]?.chain_id);
    const before = await dbHead(storage, chainId);
    expect(await auditedChange(storage.pool, 'UPDATE scratch SET n = $1 WHERE id = -1', [2], entry(2))).toBe(false);
    expect((await chainRows(storage)).length).toBe(1);
    expect(await dbHead(storage, chainId)).toEqual(before);
    expect(storage.pool.auditChains.committedHeads.get(chainId)).toEqual(before);
    // The cache still right: the next change follows row 1.
    expect(await auditedChange(storage.pool, INSERT_SCRATCH, [3], entry(3))).toBe(true);
    expect((await chainRows(storage)).map((row) => row.chain_sequence)).toEqual([1, 2]);
    expect(await verifyAuditLog(storage)).toEqual({ rows: 2, chains: 1, firstBreak: null });
  });

  it('a stale cached head fails the statement whole: the change is written once, with its row on the real head', async () => {
    const storage = await openWithScratch(await server.createDatabase());
    await storage.appendAudit(entry(1));
    const { hash } = await moveHeadBehindTheProcess(storage);
    // The one statement from the cached head (row 1) matches the change but cannot move the head: it must fail
    // whole (no scratch row of its own), and the transaction read the real head writes the change and row 3.
    expect(await auditedChange(storage.pool, INSERT_SCRATCH, [3], entry(3))).toBe(true);
    expect(await scratchRows(storage)).toEqual([3]);
    const rows = await chainRows(storage);
    expect(rows.map((row) => row.chain_sequence)).toEqual([1, 2, 3]);
    expect(rows[2]?.previous_hash).toBe(hash);
    expect(await verifyAuditLog(storage)).toEqual({ rows: 3, chains: 1, firstBreak: null });
  });

  it('a statement whose answer is lost forgets the cached head', async () => {
    const settings = await server.createDatabase();
    const storage = await openWithScratch(settings);
    await auditedChange(storage.pool, INSERT_SCRATCH, [1], entry(1));
    const chainId = String((await chainRows(storage))[0]?.chain_id);
    expect(storage.pool.auditChains.committedHeads.has(chainId)).toBe(true);
    // The row the change needs is locked by another client, so the statement waits; its connection is then cut.
    const blocker = new pg.Client({ connectionString: settings.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT * FROM scratch FOR UPDATE');
      const change = auditedChange(storage.pool, 'UPDATE scratch SET n = $1 WHERE n = 1', [2], entry(2));
      const settled = change.catch((error: unknown) => error);
      for (let waited = 0; waited < 100; waited += 1) {
        const cut = await blocker.query(
          `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        );
        if (cut.rowCount !== 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await settled).toBeInstanceOf(StorageUnavailableError);
      expect(storage.pool.auditChains.committedHeads.has(chainId)).toBe(false);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    // The next change reads the head and follows row 1; the change that lost its answer did not commit.
    expect(await auditedChange(storage.pool, INSERT_SCRATCH, [3], entry(3))).toBe(true);
    expect(await scratchRows(storage)).toEqual([1, 3]);
    expect(await verifyAuditLog(storage)).toEqual({ rows: 2, chains: 1, firstBreak: null });
  });

  it('changes at once each hold their own chain: never more chains than connections, and the log verifies', async () => {
    const storage = await openWithScratch(await server.createDatabase({ poolSize: 3 }));
    for (let round = 0; round < 3; round += 1)
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => auditedChange(storage.pool, INSERT_SCRATCH, [i], entry(round * 12 + i))),
      );
    expect((await scratchRows(storage)).length).toBe(36);
    const verified = await verifyAuditLog(storage);
    expect(verified).toMatchObject({ rows: 36, firstBreak: null });
    expect(verified.chains).toBeLessThanOrEqual(3);
  });
});

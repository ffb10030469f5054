// The PostgreSQL audit chain's head kept in the process (issuer/storage/postgres-audit.ts), on a private cluster
// (postgres-server.ts): the process writes a row from the head it committed last without reading it, so what must
// hold is that a rolled-back change leaves nothing of itself in that head, that a head moved behind the process's
// back is never written past with a wrong previous hash, and that each store keeps its own chains.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditRowHash } from '../../../../issuer/audit/audit-chain.ts';
import { verifyAuditLog } from '../../../../issuer/audit/verify-audit-log.ts';
import type { AuditEntryInput } from '../../../../issuer/storage/issuer-storage.ts';
import { appendAuditRow } from '../../../../issuer/storage/postgres-audit.ts';
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
    const [first] = await chainRows(storage);
    const chainId = String(first?.chain_id);
    // Another writer with the same chain id (a second process, a restored database) adds row 2 and moves the head.
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

// The audit row every PostgreSQL change writes in its own transaction (postgres-storage.ts and its area files), on
// this process's hash chain (issuer/audit/audit-chain.ts, as sqlite-audit-chain.ts): one chain per process, its head
// row locked FOR UPDATE so this process's concurrent transactions take their numbers one after the other.
// Not done on PostgreSQL yet: the genesis seal of rows written before migration 8 and the retention's checkpoints
// (verify then reports those rows as 'unchained' / 'missing').
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AUDIT_GENESIS_HASH, auditRowHash } from '../audit/audit-chain.ts';
import type { AuditChainState, AuditEntryInput, AuditFor } from './issuer-storage.ts';
import type { Sql } from './postgres-connection.ts';

const CHAIN_ID = randomUUID();
const WRITER = `${hostname()}:${process.pid}`;

/** Appends one audit row inside the caller's transaction. */
export async function appendAuditRow(sql: Sql, entry: AuditEntryInput): Promise<number> {
  await sql.count(
    `INSERT INTO audit_chains (chain_id, writer, started_at, head_sequence, head_hash) VALUES ($1, $2, $3, 0, $4)
    ON CONFLICT (chain_id) DO NOTHING`,
    [CHAIN_ID, WRITER, entry.at, AUDIT_GENESIS_HASH],
  );
  const head = await sql.one('SELECT head_sequence, head_hash FROM audit_chains WHERE chain_id = $1 FOR UPDATE', [
    CHAIN_ID,
  ]);
  const chainSequence = Number(head?.head_sequence ?? 0) + 1;
  const previousHash = typeof head?.head_hash === 'string' ? head.head_hash : AUDIT_GENESIS_HASH;
  const details = JSON.stringify(entry.details);
  const hash = auditRowHash(CHAIN_ID, chainSequence, entry, details, previousHash);
  const written = await sql.count(
    `INSERT INTO audit_log (at, event, outcome, code, details, chain_id, chain_sequence, previous_hash, hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [entry.at, entry.event, entry.outcome, entry.code, details, CHAIN_ID, chainSequence, previousHash, hash],
  );
  await sql.count('UPDATE audit_chains SET head_sequence = $1, head_hash = $2 WHERE chain_id = $3', [
    chainSequence,
    hash,
    CHAIN_ID,
  ]);
  return written;
}

/** The verification state (see sqlite-audit-chain.ts); call inside one transaction. */
export async function readAuditChainState(sql: Sql): Promise<AuditChainState> {
  const genesis = await sql.one('SELECT up_to_sequence, rows, head_hash FROM audit_chain_genesis');
  return {
    genesis:
      genesis === null || genesis === undefined
        ? { upToSequence: 0, rows: 0, headHash: AUDIT_GENESIS_HASH }
        : {
            upToSequence: Number(genesis.up_to_sequence),
            rows: Number(genesis.rows),
            headHash: String(genesis.head_hash),
          },
    chains: (await sql.rows('SELECT * FROM audit_chains ORDER BY started_at, chain_id')).map((row) => ({
      chainId: String(row.chain_id),
      writer: String(row.writer),
      startedAt: Number(row.started_at),
      headSequence: Number(row.head_sequence),
      headHash: String(row.head_hash),
    })),
    checkpoints: (
      await sql.rows(`SELECT c.chain_id, c.chain_sequence, c.hash FROM audit_checkpoints c
        WHERE c.chain_sequence = (SELECT MAX(chain_sequence) FROM audit_checkpoints WHERE chain_id = c.chain_id)`)
    ).map((row) => ({
      chainId: String(row.chain_id),
      chainSequence: Number(row.chain_sequence),
      hash: String(row.hash),
    })),
  };
}

export const resolveAudit = <R>(audit: AuditFor<R>, result: R): AuditEntryInput =>
  typeof audit === 'function' ? audit(result) : audit;

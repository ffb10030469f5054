// The PostgreSQL side of the audit hash chain (issuer/audit/audit-chain.ts), as sqlite-audit-chain.ts: the audit row
// every change writes in its own transaction (postgres-storage.ts and its area files) on a chain the transaction
// holds alone (see PoolChains below), the genesis seal of the rows written before migration 8, the state verification starts from,
// and the retention's checkpoints.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AUDIT_GENESIS_HASH, LEGACY_AUDIT_CHAIN, auditRowHash } from '../audit/audit-chain.ts';
import { AuditChainBrokenError, AuditChainVerifier } from '../audit/audit-chain-verifier.ts';
import type { AuditChainState, AuditEntry, AuditEntryInput, AuditFor } from './issuer-storage.ts';
import { PoolStateKey, TransactionConflictError } from './postgres-connection.ts';
import type { Row, Sql } from './postgres-connection.ts';
import { toAuditEntry } from './sqlite-storage.ts';

/** Rows per statement when the seal or the retention reads a range of the log (it may hold millions of rows). */
const AUDIT_PAGE_ROWS = 5000;

/** Any constant (beside postgres-migrations.ts's): two retention drops never verify and checkpoint side by side. */
const AUDIT_RETENTION_LOCK = 815_700_002;

const WRITER = `${hostname()}:${process.pid}`;

/** A chain's head: the number and hash of its last row. */
interface ChainHead {
  sequence: number;
  hash: string;
}

/**
 * The chains this pool writes: one per transaction under way at once, each transaction holding its own. One
 * chain per process made every audited change of the process wait on one head row, locked FOR UPDATE from the
 * audit row to the COMMIT: with 16 requests at once on a worker, they committed one after another (bench:issuer
 * on PostgreSQL). A chain is taken at a transaction's first audit row and given back when the transaction ends; the
 * last given back is the next taken, so a process writing one change at a time keeps writing one chain. There are
 * never more chains than the pool has connections, and `dck admin audit verify` checks each (verify-audit-log.ts).
 *
 * Since a chain is held by one transaction at a time, the process knows its head after its own last COMMIT
 * (`committedHeads`), and a transaction starting from a known head writes its row without reading the head first:
 * one statement instead of two (bench/issuer-statements.ts). The head still moves only from where the process
 * left it (the conditional move in APPEND_ROW); if something else moved it (a database restored from a backup, a
 * second process with the same chain id), nothing is written, the cached head is forgotten and the transaction
 * runs again from the head read FOR UPDATE.
 */
interface PoolChains {
  free: string[];
  committedHeads: Map<string, ChainHead>;
}
const POOL_CHAINS = new PoolStateKey<PoolChains>(() => ({ free: [], committedHeads: new Map() }));

/** The chain a transaction holds, and its head as this transaction left it (null: read it from the database). */
interface HeldChain {
  chainId: string;
  head: ChainHead | null;
}
const chainOfTransaction = new WeakMap<Sql, HeldChain>();

function chainFor(sql: Sql): HeldChain {
  const held = chainOfTransaction.get(sql);
  if (held !== undefined) return held;
  const chains = sql.poolState(POOL_CHAINS);
  const chainId = chains.free.pop() ?? randomUUID();
  const chain: HeldChain = { chainId, head: chains.committedHeads.get(chainId) ?? null };
  chainOfTransaction.set(sql, chain);
  sql.onEnd((committed) => {
    // Only a committed head is known: a rollback takes its rows and head moves with it, and a COMMIT whose answer
    // was lost may have committed or not. Either way the next transaction on this chain reads the head.
    if (committed && chain.head !== null) chains.committedHeads.set(chainId, chain.head);
    else chains.committedHeads.delete(chainId);
    chains.free.push(chainId);
  });
  return chain;
}

const READ_HEAD = 'SELECT head_sequence, head_hash FROM audit_chains WHERE chain_id = $1 FOR UPDATE';

/** The chain's head read and locked FOR UPDATE, the chain registered first if this database has not seen it. */
async function lockHead(sql: Sql, chainId: string, at: number): Promise<ChainHead> {
  let head = await sql.one(READ_HEAD, [chainId]);
  if (head === null) {
    await sql.count(
      `INSERT INTO audit_chains (chain_id, writer, started_at, head_sequence, head_hash) VALUES ($1, $2, $3, 0, $4)
      ON CONFLICT (chain_id) DO NOTHING`,
      [chainId, WRITER, at, AUDIT_GENESIS_HASH],
    );
    head = await sql.one(READ_HEAD, [chainId]);
  }
  return {
    sequence: Number(head?.head_sequence ?? 0),
    hash: typeof head?.head_hash === 'string' ? head.head_hash : AUDIT_GENESIS_HASH,
  };
}

/**
 * The row and its head move in one statement (one round trip): the head moves only from the head the row links to
 * ($10, $8), and the row is inserted only if it moved (SELECT … FROM moved), so a stale head writes nothing. The
 * head's trigger still checks that it moves exactly one row forward. The row's values carry casts: in a SELECT
 * list PostgreSQL would take an untyped parameter for text.
 */
const APPEND_ROW = `WITH moved AS (
    UPDATE audit_chains SET head_sequence = $7, head_hash = $9
    WHERE chain_id = $6 AND head_sequence = $10 AND head_hash = $8 RETURNING 1
  ), written AS (
    INSERT INTO audit_log (at, event, outcome, code, details, chain_id, chain_sequence, previous_hash, hash)
    SELECT $1::bigint, $2::text, $3::text, $4::text, $5::text, $6, $7, $8, $9 FROM moved RETURNING 1
  )
  SELECT (SELECT count(*) FROM written) AS written, (SELECT count(*) FROM moved) AS moved`;

/**
 * Appends one audit row inside the caller's transaction: one statement when this process committed the chain's
 * last row (its head cached), two when the head is read FOR UPDATE first, four the first time in this database.
 * Throws TransactionConflictError (the transaction runs again, reading the head) when the head was not where the
 * cache said.
 */
export async function appendAuditRow(sql: Sql, entry: AuditEntryInput): Promise<number> {
  const chain = chainFor(sql);
  const head = chain.head ?? (await lockHead(sql, chain.chainId, entry.at));
  const chainSequence = head.sequence + 1;
  const details = JSON.stringify(entry.details);
  const hash = auditRowHash(chain.chainId, chainSequence, entry, details, head.hash);
  const written = await sql.one(APPEND_ROW, [
    entry.at,
    entry.event,
    entry.outcome,
    entry.code,
    details,
    chain.chainId,
    chainSequence,
    head.hash,
    hash,
    head.sequence,
  ]);
  if (Number(written?.moved) !== 1) {
    chain.head = null;
    throw new TransactionConflictError(`audit chain ${chain.chainId}: its head is not where this process left it`);
  }
  chain.head = { sequence: chainSequence, hash };
  return Number(written?.written ?? 0);
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

/** Every row with sequence in (after, upTo], oldest first, read a page at a time; `visit` may throw to stop. */
async function eachAuditRow(sql: Sql, where: string, upTo: number, visit: (entry: AuditEntry) => void): Promise<void> {
  let after = 0;
  for (;;) {
    const page: Row[] = await sql.rows(
      `SELECT * FROM audit_log WHERE ${where} AND sequence > $1 AND sequence <= $2 ORDER BY sequence LIMIT $3`,
      [after, upTo, AUDIT_PAGE_ROWS],
    );
    for (const row of page) {
      const entry = toAuditEntry(row);
      visit(entry);
      after = entry.sequence;
    }
    if (page.length < AUDIT_PAGE_ROWS) return;
  }
}

/**
 * Seals the rows written before migration 8, once: hashed in sequence order as the chain `legacy`; the count and
 * last hash are kept (as sealAuditGenesis in sqlite-audit-chain.ts). Runs in the migrations' transaction, under
 * their advisory lock: one node seals, and the others find the seal.
 */
export async function sealAuditGenesis(sql: Sql, at: number): Promise<void> {
  if ((await sql.one('SELECT 1 AS sealed FROM audit_chain_genesis')) !== null) return;
  let rows = 0;
  let hash = AUDIT_GENESIS_HASH;
  let upToSequence = 0;
  await eachAuditRow(sql, 'chain_id IS NULL', Number.MAX_SAFE_INTEGER, (entry) => {
    rows += 1;
    hash = auditRowHash(LEGACY_AUDIT_CHAIN, rows, entry, JSON.stringify(entry.details), hash);
    upToSequence = entry.sequence;
  });
  await sql.count(
    'INSERT INTO audit_chain_genesis (up_to_sequence, rows, head_hash, sealed_at) VALUES ($1, $2, $3, $4)',
    [upToSequence, rows, hash, at],
  );
}

/**
 * Verifies the rows up to `upToSequence` (the retention's next drop) from the current checkpoints and records each
 * chain's last one as its new checkpoint; throws AuditChainBrokenError when they do not verify. In the drop's
 * transaction (as checkpointUpTo in sqlite-audit-chain.ts).
 */
export async function checkpointAuditUpTo(sql: Sql, upToSequence: number, at: number): Promise<void> {
  await sql.one('SELECT pg_advisory_xact_lock($1)', [AUDIT_RETENTION_LOCK]);
  const verifier = new AuditChainVerifier(await readAuditChainState(sql));
  await eachAuditRow(sql, 'TRUE', upToSequence, (entry) => {
    const broken = verifier.feed(entry);
    if (broken !== null) throw new AuditChainBrokenError(broken);
  });
  for (const checkpoint of verifier.checkpoints())
    await sql.count(
      `INSERT INTO audit_checkpoints (chain_id, chain_sequence, hash, up_to_sequence, created_at)
      VALUES ($1, $2, $3, $4, $5)`,
      [checkpoint.chainId, checkpoint.chainSequence, checkpoint.hash, upToSequence, at],
    );
}

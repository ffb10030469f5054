// The PostgreSQL side of the audit hash chain (issuer/audit/audit-chain.ts), as sqlite-audit-chain.ts: the audit row
// every change writes in its own transaction (postgres-storage.ts and its area files) on a chain the transaction
// holds alone (see chainFor below), a one-row change and its row in one statement (auditedChange), the genesis seal
// of the rows written before migration 8, the state verification starts from, and the retention's checkpoints.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AUDIT_GENESIS_HASH, LEGACY_AUDIT_CHAIN, auditRowHash } from '../audit/audit-chain.ts';
import { AuditChainBrokenError, AuditChainVerifier } from '../audit/audit-chain-verifier.ts';
import type { AuditChainState, AuditEntry, AuditEntryInput, AuditFor } from './issuer-storage.ts';
import { TransactionConflictError, codeOf } from './postgres-connection.ts';
import type { ChainHead, PostgresPool, Row, Sql } from './postgres-connection.ts';
import { toAuditEntry } from './sqlite-storage.ts';

/** Rows per statement when the seal or the retention reads a range of the log (it may hold millions of rows). */
const AUDIT_PAGE_ROWS = 5000;

/** Any constant (beside postgres-migrations.ts's): two retention drops never verify and checkpoint side by side. */
const AUDIT_RETENTION_LOCK = 815_700_002;

const WRITER = `${hostname()}:${process.pid}`;

/** The chain a transaction holds, and its head as this transaction left it (null: read it from the database). */
interface HeldChain {
  chainId: string;
  head: ChainHead | null;
}
const chainOfTransaction = new WeakMap<Sql, HeldChain>();

/**
 * The chains a pool writes (PoolAuditChains, postgres-connection.ts): one per transaction under way at once, each
 * transaction holding its own. One chain per process made every audited change of the process wait on one head
 * row, locked FOR UPDATE from the audit row to the COMMIT: with 16 requests at once on a worker, they committed one
 * after another (bench:issuer on PostgreSQL). A chain is taken at a transaction's first audit row and given back
 * when the transaction ends; the last given back is the next taken, so a process writing one change at a time keeps
 * writing one chain. There are never more chains than the pool has connections, and `dck admin audit verify` checks
 * each (verify-audit-log.ts).
 *
 * Since a chain is held by one transaction at a time, the process knows its head after its own last COMMIT
 * (`committedHeads`), and a transaction starting from a known head writes its row without reading the head first:
 * one statement instead of two (bench/issuer-statements.ts). The head still moves only from where the process
 * left it (the conditional move in APPEND_ROW); if something else moved it (a database restored from a backup, a
 * second process with the same chain id), nothing is written, the cached head is forgotten and the transaction
 * runs again from the head read FOR UPDATE. A change made by `auditedChange` (below) outside a transaction holds its
 * chain for its one statement the same way.
 */
function chainFor(sql: Sql): HeldChain {
  const held = chainOfTransaction.get(sql);
  if (held !== undefined) return held;
  const chains = sql.auditChains;
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
 * The CTEs `moved` and `written`: the head moves only from the head the row links to (previous sequence and hash),
 * and only `when` (SQL; '' for always), and the row is inserted only if it moved (SELECT … FROM moved), so a stale
 * head writes nothing. The head's trigger still checks that it moves exactly one row forward. The row's parameters
 * (rowOn's values) start after `offset`; its values carry casts: in a SELECT list PostgreSQL would take an untyped
 * parameter for text.
 */
function headMoveAndRow(offset: number, when: string): string {
  const p = (n: number) => `$${offset + n}`;
  return `moved AS (
    UPDATE audit_chains SET head_sequence = ${p(7)}, head_hash = ${p(9)}
    WHERE chain_id = ${p(6)} AND head_sequence = ${p(10)} AND head_hash = ${p(8)}${when === '' ? '' : ` AND ${when}`}
    RETURNING 1
  ), written AS (
    INSERT INTO audit_log (at, event, outcome, code, details, chain_id, chain_sequence, previous_hash, hash)
    SELECT ${p(1)}::bigint, ${p(2)}::text, ${p(3)}::text, ${p(4)}::text, ${p(5)}::text, ${p(6)}, ${p(7)}, ${p(8)}, ${p(9)}
    FROM moved RETURNING 1
  )`;
}

/** The row and its head move in one statement (one round trip). */
const APPEND_ROW = `WITH ${headMoveAndRow(0, '')}
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
  const row = rowOn(chain.chainId, head, entry);
  const written = await sql.one(APPEND_ROW, row.values);
  if (Number(written?.moved) !== 1) {
    chain.head = null;
    throw new TransactionConflictError(`audit chain ${chain.chainId}: its head is not where this process left it`);
  }
  chain.head = row.head;
  return Number(written?.written ?? 0);
}

/**
 * Changes and their audit row as ONE statement inside the caller's transaction (the approve's three writes, the
 * sign-in's session: 2–3 round trips fewer, bench/issuer-statements.ts). `ctes` are the change's CTEs, the last
 * named `change` (a row per row it changed); the row is written, and the head moved, only when `change` returned a
 * row, so a change that matched nothing writes no audit row. `select`: columns the caller reads beside `changed`
 * (', (SELECT …) AS name'). The entry must not depend on what the change returns (hashed before the statement). A
 * head not where the cache said throws TransactionConflictError: the transaction, change included, runs again.
 */
export async function changeWithAuditRow(
  sql: Sql,
  ctes: string,
  params: readonly unknown[],
  entry: AuditEntryInput,
  select = '',
): Promise<Row> {
  const chain = chainFor(sql);
  const head = chain.head ?? (await lockHead(sql, chain.chainId, entry.at));
  const row = rowOn(chain.chainId, head, entry);
  const answer = await sql.one(
    `WITH ${ctes}, ${headMoveAndRow(params.length, 'EXISTS (SELECT 1 FROM change)')}
    SELECT (SELECT count(*) FROM change) AS changed, (SELECT count(*) FROM written) AS written${select}`,
    [...params, ...row.values],
  );
  const changed = Number(answer?.changed);
  if (changed > 0 && Number(answer?.written) !== 1) {
    chain.head = null;
    throw new TransactionConflictError(`audit chain ${chain.chainId}: its head is not where this process left it`);
  }
  chain.head = changed > 0 ? row.head : head;
  return answer ?? {};
}

/** The row that follows `head` on the chain (hashed here, before any statement), as APPEND_ROW's $1–$10. */
function rowOn(chainId: string, head: ChainHead, entry: AuditEntryInput): { head: ChainHead; values: unknown[] } {
  const chainSequence = head.sequence + 1;
  const details = JSON.stringify(entry.details);
  const hash = auditRowHash(chainId, chainSequence, entry, details, head.hash);
  return {
    head: { sequence: chainSequence, hash },
    values: [
      entry.at,
      entry.event,
      entry.outcome,
      entry.code,
      details,
      chainId,
      chainSequence,
      head.hash,
      hash,
      head.sequence,
    ],
  };
}

/**
 * What migration 14's dck_audited_change raises when a change matched rows but its audit row was not written (the
 * cached head was stale): the statement fails whole, so the change does not commit without its row.
 */
const UNAUDITED_CHANGE_SQLSTATE = 'DCK01';

/**
 * One conditional change and its audit row as ONE statement: the change's CTE, the head moved from the cached head
 * only if the change matched, the row inserted only if the head moved, and dck_audited_change failing the statement
 * when the change matched without its row. The audit row's parameters follow the change's.
 */
const auditedChangeStatement = (changeSql: string, changeParameters: number, withCtes: string, select: string) =>
  `WITH ${withCtes === '' ? '' : `${withCtes}, `}change AS (${changeSql} RETURNING 1),
  ${headMoveAndRow(changeParameters, 'EXISTS (SELECT 1 FROM change)')}
  SELECT dck_audited_change((SELECT count(*) FROM change), (SELECT count(*) FROM written)) AS changed${select}`;

/**
 * A change of at most one row (`changeSql`: an UPDATE with its condition, or an INSERT, without RETURNING) and its
 * audit row, written together or not at all; true when the change matched. When the process committed its chain's
 * last row (its head cached), ONE statement outside BEGIN/COMMIT: PostgreSQL runs a single statement atomically, so
 * 4 round trips become 1 (bench/issuer-statements.ts). The entry must not depend on what the change returns: its
 * hash is computed before the statement. Otherwise (no cached head, or a stale one: the statement failed whole and
 * the cache is forgotten) a transaction writes both, the head read FOR UPDATE. `withCtes`: CTEs the change's WITH
 * begins with (changes of their own, unaudited, that commit with the statement whether or not the change matched).
 */
export async function auditedChange(
  pool: PostgresPool,
  changeSql: string,
  params: readonly unknown[],
  entry: AuditEntryInput,
  withCtes = '',
): Promise<boolean> {
  return Number((await auditedChangeRow(pool, changeSql, params, entry, withCtes)).changed) > 0;
}

/**
 * auditedChange, and the statement's row: `changed` (the rows the change matched) and the columns of `select`
 * (', (SELECT … FROM a CTE) AS name'), read from the CTEs the same way on either path.
 */
export async function auditedChangeRow(
  pool: PostgresPool,
  changeSql: string,
  params: readonly unknown[],
  entry: AuditEntryInput,
  withCtes = '',
  select = '',
): Promise<Row> {
  const statement = auditedChangeStatement(changeSql, params.length, withCtes, select);
  const inOneStatement = await pool.read(async (sql): Promise<Row | null> => {
    const chain = chainFor(sql);
    const head = chain.head;
    if (head === null) return null;
    // Forgotten until the answer is back: a lost answer leaves the head unknown (chainFor's onEnd).
    chain.head = null;
    const row = rowOn(chain.chainId, head, entry);
    try {
      const answer = (await sql.one(statement, [...params, ...row.values])) ?? {};
      chain.head = Number(answer.changed) > 0 ? row.head : head;
      return answer;
    } catch (error: unknown) {
      if (codeOf(error) === UNAUDITED_CHANGE_SQLSTATE) return null;
      throw error;
    }
  });
  if (inOneStatement !== null) return inOneStatement;
  const ctes = `${withCtes === '' ? '' : `${withCtes}, `}change AS (${changeSql} RETURNING 1)`;
  return pool.transaction((sql) => changeWithAuditRow(sql, ctes, params, entry, select));
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

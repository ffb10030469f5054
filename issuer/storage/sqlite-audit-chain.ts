// The SQLite side of the audit hash chain (issuer/audit/audit-chain.ts): this storage instance's own chain, written
// inside whatever transaction the change runs in, the genesis seal of the rows written before the chain began, the
// state verification starts from, and the retention's checkpoints.
//
// The chain's head is read from the database inside each write transaction, never cached: a transaction that rolls
// back after its audit row takes the row and the head with it, and the next row links to what was committed.
// The chain is registered with its first row (a read-only `dck admin` run registers none).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { AUDIT_GENESIS_HASH, LEGACY_AUDIT_CHAIN, auditRowHash } from '../audit/audit-chain.ts';
import { AuditChainBrokenError, AuditChainVerifier } from '../audit/audit-chain-verifier.ts';
import type { AuditChainLink, AuditChainState, AuditEntry, AuditEntryInput } from './issuer-storage.ts';

type Row = Record<string, unknown>;

const text = (row: Row, key: string): string => String(row[key]);
const integer = (row: Row, key: string): number => Number(row[key]);

export function auditChainLink(row: Row): AuditChainLink | null {
  if (row.chain_id === null || row.chain_id === undefined) return null;
  return {
    chainId: text(row, 'chain_id'),
    chainSequence: integer(row, 'chain_sequence'),
    previousHash: text(row, 'previous_hash'),
    hash: text(row, 'hash'),
  };
}

/**
 * Seals the rows written before migration 8, once: hashed in sequence order as the chain `legacy`; the count and
 * last hash are kept. Runs in the migrations' transaction (write lock held, so no row can slip in meanwhile).
 */
export function sealAuditGenesis(db: Database.Database, at: number, toEntry: (row: Row) => AuditEntry): void {
  if (db.prepare('SELECT 1 FROM audit_chain_genesis').get() !== undefined) return;
  let rows = 0;
  let hash = AUDIT_GENESIS_HASH;
  let upToSequence = 0;
  for (const row of db.prepare('SELECT * FROM audit_log WHERE chain_id IS NULL ORDER BY sequence').iterate()) {
    const entry = toEntry(row as Row);
    rows += 1;
    hash = auditRowHash(LEGACY_AUDIT_CHAIN, rows, entry, JSON.stringify(entry.details), hash);
    upToSequence = entry.sequence;
  }
  db.prepare('INSERT INTO audit_chain_genesis (up_to_sequence, rows, head_hash, sealed_at) VALUES (?, ?, ?, ?)').run(
    upToSequence,
    rows,
    hash,
    at,
  );
}

export interface SqliteAuditChain {
  /** Appends one audit row to this writer's chain; call inside a write transaction. */
  append(entry: AuditEntryInput): void;
  /** The verification state; call inside a transaction for a consistent read. */
  state(): AuditChainState;
  /**
   * Verifies the rows up to `upToSequence` (the retention's next drop) from the current checkpoints and records each
   * chain's last one as its new checkpoint; throws AuditChainBrokenError when they do not verify. In the drop's
   * transaction.
   */
  checkpointUpTo(upToSequence: number, at: number): void;
}

export function prepareAuditChain(db: Database.Database, toEntry: (row: Row) => AuditEntry): SqliteAuditChain {
  const chainId = randomUUID();
  const writer = `${hostname()}:${process.pid}`;
  const q = {
    head: db.prepare('SELECT head_sequence, head_hash FROM audit_chains WHERE chain_id = ?'),
    register: db.prepare(`INSERT INTO audit_chains (chain_id, writer, started_at, head_sequence, head_hash)
      VALUES (?, ?, ?, 0, ?)`),
    insert: db.prepare(`INSERT INTO audit_log (at, event, outcome, code, details, chain_id, chain_sequence,
      previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    moveHead: db.prepare('UPDATE audit_chains SET head_sequence = ?, head_hash = ? WHERE chain_id = ?'),
    genesis: db.prepare('SELECT up_to_sequence, rows, head_hash FROM audit_chain_genesis'),
    chains: db.prepare('SELECT * FROM audit_chains ORDER BY started_at, chain_id'),
    checkpoints: db.prepare(`SELECT c.chain_id, c.chain_sequence, c.hash FROM audit_checkpoints c
      WHERE c.chain_sequence = (SELECT MAX(chain_sequence) FROM audit_checkpoints WHERE chain_id = c.chain_id)`),
    rowsUpTo: db.prepare('SELECT * FROM audit_log WHERE sequence <= ? ORDER BY sequence'),
    insertCheckpoint: db.prepare(`INSERT INTO audit_checkpoints (chain_id, chain_sequence, hash, up_to_sequence,
      created_at) VALUES (?, ?, ?, ?, ?)`),
  };

  const append = (entry: AuditEntryInput): void => {
    // Outside a transaction a busy answer between the row and the head's move would leave a row the head does not
    // count, and the retry would number the next one the same (measured: UNIQUE failures under three writers).
    if (!db.inTransaction) throw new Error('an audit row is written inside the transaction of its change');
    let head = q.head.get(chainId) as Row | undefined;
    if (head === undefined) {
      q.register.run(chainId, writer, entry.at, AUDIT_GENESIS_HASH);
      head = { head_sequence: 0, head_hash: AUDIT_GENESIS_HASH };
    }
    const chainSequence = integer(head, 'head_sequence') + 1;
    const previousHash = text(head, 'head_hash');
    const details = JSON.stringify(entry.details);
    const hash = auditRowHash(chainId, chainSequence, entry, details, previousHash);
    q.insert.run(entry.at, entry.event, entry.outcome, entry.code, details, chainId, chainSequence, previousHash, hash);
    q.moveHead.run(chainSequence, hash, chainId);
  };

  const state = (): AuditChainState => {
    const genesis = q.genesis.get() as Row | undefined;
    return {
      genesis:
        genesis === undefined
          ? { upToSequence: 0, rows: 0, headHash: AUDIT_GENESIS_HASH }
          : {
              upToSequence: integer(genesis, 'up_to_sequence'),
              rows: integer(genesis, 'rows'),
              headHash: text(genesis, 'head_hash'),
            },
      chains: (q.chains.all() as Row[]).map((row) => ({
        chainId: text(row, 'chain_id'),
        writer: text(row, 'writer'),
        startedAt: integer(row, 'started_at'),
        headSequence: integer(row, 'head_sequence'),
        headHash: text(row, 'head_hash'),
      })),
      checkpoints: (q.checkpoints.all() as Row[]).map((row) => ({
        chainId: text(row, 'chain_id'),
        chainSequence: integer(row, 'chain_sequence'),
        hash: text(row, 'hash'),
      })),
    };
  };

  const checkpointUpTo = (upToSequence: number, at: number): void => {
    const verifier = new AuditChainVerifier(state());
    for (const row of q.rowsUpTo.iterate(upToSequence)) {
      const broken = verifier.feed(toEntry(row as Row));
      if (broken !== null) throw new AuditChainBrokenError(broken);
    }
    for (const checkpoint of verifier.checkpoints())
      q.insertCheckpoint.run(checkpoint.chainId, checkpoint.chainSequence, checkpoint.hash, upToSequence, at);
  };

  return { append, state, checkpointUpTo };
}

// Verifies audit rows against their chains, fed in sequence order, one row at a time (the log can be millions of
// rows: nothing is kept per row). Pure: no storage, no clock. Used by `dck admin audit verify` over the whole log and
// by the retention over the rows it is about to drop (their last hash per chain becomes the checkpoint).
//
// What each tampering looks like here (raw SQL on the database file):
// - a row edited: its recomputed hash differs from the stored one ('edited');
// - a row deleted: the next row of its chain skips a number ('missing'), or the chain ends before its head ('missing');
// - rows reordered (their sequence numbers swapped): a chain's numbers go backwards ('out-of-order');
// - a row inserted: it belongs to no registered chain ('unknown-chain'), has no chain fields after the chain began
//   ('unchained'), repeats a number ('out-of-order'), does not link to the previous row ('broken-link'), or goes
//   past the head its writer recorded ('inserted').
// The pre-chain rows carry no hash each: an edit among them is found when their seal does not match ('genesis').
import { AUDIT_GENESIS_HASH, LEGACY_AUDIT_CHAIN, auditRowHash } from './audit-chain.ts';
import type { AuditChainLink, AuditChainState, AuditCheckpoint, AuditEntry } from '../storage/issuer-storage.ts';

export type AuditChainProblem =
  'edited' | 'missing' | 'out-of-order' | 'broken-link' | 'unknown-chain' | 'unchained' | 'inserted' | 'genesis';

export interface AuditChainBreak {
  /** The audit row's sequence; null when the row that should be there is not (a deleted tail). */
  sequence: number | null;
  chainId: string;
  /** The row's number in its chain (for a missing row: the first number missing). */
  chainSequence: number | null;
  problem: AuditChainProblem;
  /** One sentence for the administrator. */
  detail: string;
}

interface ChainPosition {
  chainSequence: number;
  hash: string;
  /** The audit row at this position, when it was fed here (null: genesis or checkpoint). */
  rowSequence?: number;
}

export class AuditChainVerifier {
  private readonly positions = new Map<string, ChainPosition>();
  private readonly touched = new Set<string>();
  private rowCount = 0;

  constructor(private state: AuditChainState) {
    this.positions.set(LEGACY_AUDIT_CHAIN, { chainSequence: 0, hash: AUDIT_GENESIS_HASH });
    for (const chain of state.chains) this.positions.set(chain.chainId, { chainSequence: 0, hash: AUDIT_GENESIS_HASH });
    this.applyCheckpoints(state.checkpoints);
  }

  /** Newer state read meanwhile (chains started, checkpoints of rows dropped since): positions already past stay. */
  refresh(state: AuditChainState): void {
    this.state = state;
    for (const chain of state.chains)
      if (!this.positions.has(chain.chainId))
        this.positions.set(chain.chainId, { chainSequence: 0, hash: AUDIT_GENESIS_HASH });
    this.applyCheckpoints(state.checkpoints);
  }

  private applyCheckpoints(checkpoints: readonly AuditCheckpoint[]): void {
    for (const checkpoint of checkpoints) {
      const position = this.positions.get(checkpoint.chainId);
      if (position === undefined || position.chainSequence < checkpoint.chainSequence)
        this.positions.set(checkpoint.chainId, { chainSequence: checkpoint.chainSequence, hash: checkpoint.hash });
    }
  }

  get rows(): number {
    return this.rowCount;
  }

  /** The next row in sequence order: null when it verifies (the position then moves past it), else the break. */
  feed(row: AuditEntry): AuditChainBreak | null {
    const verdict = row.chain === null ? this.feedLegacy(row) : this.feedChained(row, row.chain);
    if (verdict === null) this.rowCount += 1;
    return verdict;
  }

  private feedLegacy(row: AuditEntry): AuditChainBreak | null {
    const { genesis } = this.state;
    if (row.sequence > genesis.upToSequence)
      return this.broken(
        row,
        LEGACY_AUDIT_CHAIN,
        null,
        'unchained',
        'has no chain fields but was written after the chain began (inserted?)',
      );
    const position = this.position(LEGACY_AUDIT_CHAIN);
    const chainSequence = position.chainSequence + 1;
    const hash = auditRowHash(LEGACY_AUDIT_CHAIN, chainSequence, row, JSON.stringify(row.details), position.hash);
    this.move(LEGACY_AUDIT_CHAIN, { chainSequence, hash });
    if (chainSequence > genesis.rows || (chainSequence === genesis.rows && hash !== genesis.headHash))
      return this.broken(
        row,
        LEGACY_AUDIT_CHAIN,
        chainSequence,
        'genesis',
        `the ${genesis.rows} rows written before the chain began (sequence ≤ ${genesis.upToSequence}) do not match their seal: one of them was edited, deleted, inserted or moved`,
      );
    return null;
  }

  private feedChained(row: AuditEntry, link: AuditChainLink): AuditChainBreak | null {
    const position = this.positions.get(link.chainId);
    if (position === undefined)
      return this.broken(
        row,
        link.chainId,
        link.chainSequence,
        'unknown-chain',
        'belongs to no registered chain (inserted?)',
      );
    const expected = position.chainSequence + 1;
    if (link.chainSequence > expected)
      return this.broken(
        row,
        link.chainId,
        expected,
        'missing',
        `rows ${expected}–${link.chainSequence - 1} of its chain are missing before it (deleted?)`,
      );
    if (link.chainSequence < expected)
      return this.broken(
        row,
        link.chainId,
        link.chainSequence,
        'out-of-order',
        `comes after row ${position.chainSequence} of its chain (reordered or inserted?)`,
      );
    if (link.previousHash !== position.hash)
      return this.broken(
        row,
        link.chainId,
        link.chainSequence,
        'broken-link',
        'does not link to the previous row of its chain (inserted or replaced?)',
      );
    const hash = auditRowHash(link.chainId, link.chainSequence, row, JSON.stringify(row.details), link.previousHash);
    if (hash !== link.hash)
      return this.broken(row, link.chainId, link.chainSequence, 'edited', 'does not match its hash (edited?)');
    this.move(link.chainId, { chainSequence: link.chainSequence, hash, rowSequence: row.sequence });
    return null;
  }

  /**
   * After the last row. 'short': every chain must reach the head its writer recorded (heads read before the rows:
   * rows written since only go further), and the pre-chain rows their seal (unless the retention dropped them all).
   * 'past': no chain may go past its head (heads read after the rows: a row read was committed with its head).
   * Null when all do.
   */
  finish(check: 'short' | 'past'): AuditChainBreak | null {
    return check === 'short' ? this.shortOfHead() : this.pastHead();
  }

  private shortOfHead(): AuditChainBreak | null {
    const legacy = this.position(LEGACY_AUDIT_CHAIN);
    if (legacy.chainSequence < this.state.genesis.rows)
      return {
        sequence: null,
        chainId: LEGACY_AUDIT_CHAIN,
        chainSequence: legacy.chainSequence + 1,
        problem: 'genesis',
        detail: `only ${legacy.chainSequence} of the ${this.state.genesis.rows} rows written before the chain began are there (deleted?)`,
      };
    for (const chain of this.state.chains) {
      const position = this.position(chain.chainId);
      if (position.chainSequence < chain.headSequence)
        return {
          sequence: null,
          chainId: chain.chainId,
          chainSequence: position.chainSequence + 1,
          problem: 'missing',
          detail: `the chain ends at row ${position.chainSequence}, its writer recorded ${chain.headSequence} (rows deleted at its end?)`,
        };
      if (position.chainSequence === chain.headSequence && position.hash !== chain.headHash)
        return {
          sequence: position.rowSequence ?? null,
          chainId: chain.chainId,
          chainSequence: chain.headSequence,
          problem: 'edited',
          detail: 'its last row does not match the head its writer recorded',
        };
    }
    return null;
  }

  private pastHead(): AuditChainBreak | null {
    for (const chain of this.state.chains) {
      const position = this.position(chain.chainId);
      if (position.chainSequence > chain.headSequence)
        return {
          sequence: position.rowSequence ?? null,
          chainId: chain.chainId,
          chainSequence: chain.headSequence + 1,
          problem: 'inserted',
          detail: `the chain goes on past row ${chain.headSequence}, the head its writer recorded (rows inserted at its end?)`,
        };
    }
    return null;
  }

  /** The position of every chain fed at least one row: the retention's checkpoints. */
  checkpoints(): AuditCheckpoint[] {
    return [...this.touched].map((chainId) => ({ chainId, ...this.position(chainId) }));
  }

  get chainCount(): number {
    return this.state.chains.length;
  }

  private position(chainId: string): ChainPosition {
    return this.positions.get(chainId) ?? { chainSequence: 0, hash: AUDIT_GENESIS_HASH };
  }

  private move(chainId: string, position: ChainPosition): void {
    this.positions.set(chainId, position);
    this.touched.add(chainId);
  }

  private broken(
    row: AuditEntry,
    chainId: string,
    chainSequence: number | null,
    problem: AuditChainProblem,
    detail: string,
  ): AuditChainBreak {
    return { sequence: row.sequence, chainId, chainSequence, problem, detail: `audit row ${row.sequence} ${detail}` };
  }
}

/** Thrown by the retention when the rows it would drop do not verify: nothing is dropped. */
export class AuditChainBrokenError extends Error {
  readonly code = 'audit-chain-broken';
  constructor(readonly chainBreak: AuditChainBreak) {
    super(`audit retention: the rows to drop do not verify: ${chainBreak.detail}`);
    this.name = 'AuditChainBrokenError';
  }
}

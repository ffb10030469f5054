// The audit log's hash chains. Every process that writes audit rows writes its own chain (a random id, rows numbered
// 1, 2, 3 … in it), so `--workers` and `dck admin` beside a running issuer never contend for one head: the write lock
// they already take for the change orders their rows, and each row links only to its own chain's previous row.
// A row's hash is SHA-256 over a canonical encoding of its fields and the previous row's hash (the genesis hash for
// a chain's first row). Rows written before the chain began are sealed once, hashed the same way in sequence order
// as the chain `legacy` with only the last hash kept (they have no columns to hold one each, and may not be updated).
import { createHash } from 'node:crypto';
import type { AuditEntryInput } from '../storage/issuer-storage.ts';

/** The "previous hash" of every chain's first row. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);
/** The chain id under which rows written before migration 8 are verified (and checkpointed by the retention). */
export const LEGACY_AUDIT_CHAIN = 'legacy';
/** Bumped if the encoding below ever changes: a hash always says which encoding made it. */
const ENCODING = 'dck-audit-chain-v1';

/**
 * SHA-256 (hex) of one row. `detailsJson` is the details column exactly as stored, so verification hashes the bytes
 * in the database rather than a re-serialization of them. A JSON array of strings, numbers and null has one encoding.
 */
export function auditRowHash(
  chainId: string,
  chainSequence: number,
  row: Pick<AuditEntryInput, 'at' | 'event' | 'outcome' | 'code'>,
  detailsJson: string,
  previousHash: string,
): string {
  const canonical = JSON.stringify([
    ENCODING,
    chainId,
    chainSequence,
    row.at,
    row.event,
    row.outcome,
    row.code,
    detailsJson,
    previousHash,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

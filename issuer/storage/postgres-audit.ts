// The audit row every PostgreSQL change writes in its own transaction (postgres-storage.ts and its area files).
import type { AuditEntryInput, AuditFor } from './issuer-storage.ts';
import type { Sql } from './postgres-connection.ts';

/** Appends one audit row inside the caller's transaction. */
export const appendAuditRow = (sql: Sql, entry: AuditEntryInput): Promise<number> =>
  sql.count('INSERT INTO audit_log (at, event, outcome, code, details) VALUES ($1, $2, $3, $4, $5)', [
    entry.at,
    entry.event,
    entry.outcome,
    entry.code,
    JSON.stringify(entry.details),
  ]);

export const resolveAudit = <R>(audit: AuditFor<R>, result: R): AuditEntryInput =>
  typeof audit === 'function' ? audit(result) : audit;

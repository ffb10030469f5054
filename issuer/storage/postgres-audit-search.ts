// The PostgreSQL twin of sqlite-audit-search.ts: the same search, the same bound parameters (each null when not
// filtered on; typed casts, as PostgreSQL cannot infer a parameter's type from `IS NULL` alone).
import type { AuditSearch, AuditSearchRow } from './issuer-storage.ts';
import type { Sql } from './postgres-connection.ts';
import { auditSearchParameters, auditSearchRow } from './sqlite-audit-search.ts';
import { toAuditEntry } from './sqlite-storage.ts';

const SEARCH = `SELECT a.*, c.common_name AS agent_name FROM audit_log a
  LEFT JOIN cards c ON c.id = coalesce(a.details::jsonb ->> 'agentCardId',
    CASE WHEN a.details::jsonb ->> 'actorKind' = 'agent' THEN a.details::jsonb ->> 'actor' END)
  WHERE ($1::bigint IS NULL OR a.sequence < $1)
    AND ($2::text IS NULL OR a.event = $2)
    AND ($3::text IS NULL OR a.outcome = $3)
    AND ($4::bigint IS NULL OR a.at >= $4)
    AND ($5::bigint IS NULL OR a.at < $5)
    AND ($6::text IS NULL OR lower(a.details) LIKE $6 ESCAPE '\\')
    AND ($8::text IS NULL OR c.id = $8 OR lower(c.common_name) LIKE $7 ESCAPE '\\')
  ORDER BY a.sequence DESC LIMIT $9`;

export async function searchAuditRows(sql: Sql, search: AuditSearch, limit: number): Promise<AuditSearchRow[]> {
  const p = auditSearchParameters(search, limit);
  const rows = await sql.rows(SEARCH, [
    p.before,
    p.event,
    p.outcome,
    p.fromAt,
    p.toAt,
    p.target,
    p.agentPattern,
    p.agentId,
    p.limit,
  ]);
  return rows.map((row) => auditSearchRow(row, toAuditEntry));
}

// The SQLite side of an auditor's search of the audit log (issuer/agent/audit-search.ts): one statement, every filter
// a bound parameter (null: not filtered on), newest first from the paging cursor. The agent a row names is the card
// its details' `agentCardId` points at, or their `actor` when `actorKind` is `agent` (the lifecycle's rows of an
// agent's change), joined for the name. LIKE's own wildcards in the typed text match themselves (likePattern). No index beyond the primary key: the walk goes down the sequence and stops at `limit` rows.
import type Database from 'better-sqlite3';
import type { AuditEntry, AuditSearch, AuditSearchRow } from './issuer-storage.ts';
import { likePattern } from './sqlite-lifecycle.ts';

type Row = Record<string, unknown>;

/** The named parameters of both adapters' statement: the search as bound values. */
export function auditSearchParameters(search: AuditSearch, limit: number) {
  return {
    before: search.beforeSequence,
    event: search.event,
    outcome: search.outcome,
    fromAt: search.fromAt,
    toAt: search.toAt,
    target: search.target === null ? null : likePattern(search.target),
    agentPattern: search.agent === null ? null : likePattern(search.agent),
    agentId: search.agent,
    limit,
  };
}

export function auditSearchRow(row: Row, toEntry: (row: Row) => AuditEntry): AuditSearchRow {
  const name = row.agent_name;
  return { ...toEntry(row), agentName: typeof name === 'string' ? name : null };
}

export function prepareAuditSearch(
  db: Database.Database,
  toEntry: (row: Row) => AuditEntry,
): (search: AuditSearch, limit: number) => AuditSearchRow[] {
  const statement = db.prepare(`SELECT a.*, c.common_name AS agent_name FROM audit_log a
    LEFT JOIN cards c ON c.id = coalesce(json_extract(a.details, '$.agentCardId'),
      CASE WHEN json_extract(a.details, '$.actorKind') = 'agent' THEN json_extract(a.details, '$.actor') END)
    WHERE (@before IS NULL OR a.sequence < @before)
      AND (@event IS NULL OR a.event = @event)
      AND (@outcome IS NULL OR a.outcome = @outcome)
      AND (@fromAt IS NULL OR a.at >= @fromAt)
      AND (@toAt IS NULL OR a.at < @toAt)
      AND (@target IS NULL OR lower(a.details) LIKE @target ESCAPE '\\')
      AND (@agentId IS NULL OR c.id = @agentId OR lower(c.common_name) LIKE @agentPattern ESCAPE '\\')
    ORDER BY a.sequence DESC LIMIT @limit`);
  return (search, limit) =>
    (statement.all(auditSearchParameters(search, limit)) as Row[]).map((row) => auditSearchRow(row, toEntry));
}

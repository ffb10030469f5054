// The audit screen's export (issue 13): every row of the agent's current filter, fetched page by page from the issuer
// (GET /agent/audit, newest first) up to AUDIT_EXPORT_MAX_ROWS, written as JSON lines or CSV. Main builds the file; the
// page only saves it. The audit holds identifiers, never a PIN, OTP, token or key (issuer/storage/issuer-storage.ts
// AuditEntryInput), and the agent's session token is never part of a row.
//
// CSV is RFC 4180 (every cell quoted, quotes doubled, CRLF between records) and safe to open in a spreadsheet: a cell
// that starts with = + - @, a tab or a carriage return is prefixed with ' so it is read as text, not a formula (OWASP
// "CSV Injection"). Audit rows carry text from outside (a note, a search text, a phone's model), so this matters.
import type { AuditPage, AuditRow, AuditSearchQuery } from '../../contracts/agent-api.ts';
import { AUDIT_PAGE_MAX } from '../../contracts/agent-api.ts';
import { AUDIT_EXPORT_MAX_ROWS } from '../../contracts/console-api.ts';
import type { AuditExportFormat, ConsoleAuditExport, ConsoleAuditFilter } from '../../contracts/console-api.ts';
import { ok } from '../../contracts/kiosk-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The console's filter (days, `to` inclusive) → the issuer's query (`to` exclusive: the next day). */
export function auditQueryOf(
  filter: ConsoleAuditFilter,
  before: number | null,
  limit?: number,
  cursor?: string,
): AuditSearchQuery {
  const query: AuditSearchQuery = {};
  if (filter.agent.trim() !== '') query.agent = filter.agent.trim();
  if (filter.action !== '') query.action = filter.action;
  if (filter.target.trim() !== '') query.target = filter.target.trim();
  if (filter.outcome !== '') query.outcome = filter.outcome;
  if (filter.from !== '') query.from = filter.from;
  if (filter.to !== '') {
    const end = Date.parse(`${filter.to}T00:00:00Z`);
    // A day the calendar does not have is sent as typed: the issuer refuses it by name.
    query.to = Number.isFinite(end) ? new Date(end + DAY_MS).toISOString().slice(0, 10) : filter.to;
  }
  if (before !== null) query.before = before;
  if (limit !== undefined) query.limit = limit;
  if (cursor !== undefined) query.cursor = cursor;
  return query;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: neutralised when a spreadsheet would read it as a formula, then quoted (RFC 4180). */
export function csvCell(value: string | number | boolean | null): string {
  const text = value === null ? '' : String(value);
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

export const AUDIT_CSV_COLUMNS = [
  'time',
  'agent',
  'agent card',
  'action',
  'outcome',
  'code',
  'target',
  'note',
  'sequence',
  'chain',
  'chain position',
  'details',
] as const;

function csvRecord(row: AuditRow): string {
  return [
    row.at,
    row.agent?.name ?? null,
    row.agent?.cardId ?? null,
    row.action,
    row.outcome,
    row.code,
    row.target,
    row.note,
    row.sequence,
    row.chain?.chainId ?? null,
    row.chain?.position ?? null,
    JSON.stringify(row.details),
  ]
    .map(csvCell)
    .join(',');
}

export function auditCsv(rows: readonly AuditRow[]): string {
  return [AUDIT_CSV_COLUMNS.map(csvCell).join(','), ...rows.map(csvRecord)].map((line) => `${line}\r\n`).join('');
}

export function auditJsonLines(rows: readonly AuditRow[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

/** One page of the filter from the issuer (the controller's call with the agent's session). */
export type AuditPageFetch<E extends { readonly code: string }> = (
  query: AuditSearchQuery,
) => Promise<Result<AuditPage, E>>;

/**
 * Follows the cursor from the newest row until the filter has no more rows or `maxRows` are in hand. `truncated`:
 * rows were left out (the newest `maxRows` are kept). A refusal on any page ends the export with it.
 */
export async function collectAuditRows<E extends { readonly code: string }>(
  filter: ConsoleAuditFilter,
  fetchPage: AuditPageFetch<E>,
  maxRows: number = AUDIT_EXPORT_MAX_ROWS,
): Promise<Result<{ rows: AuditRow[]; truncated: boolean }, E>> {
  const rows: AuditRow[] = [];
  // The issuer's cursor makes the pages one audited search (issuer/agent/audit-search.ts), not one search per page.
  let next: { before: number; cursor: string | undefined } | null = null;
  for (;;) {
    const limit = Math.min(AUDIT_PAGE_MAX, maxRows - rows.length + 1);
    const page = await fetchPage(auditQueryOf(filter, next?.before ?? null, limit, next?.cursor));
    if (!page.ok) return page;
    rows.push(...page.value.rows);
    if (rows.length > maxRows) return ok({ rows: rows.slice(0, maxRows), truncated: true });
    if (page.value.nextBefore === null) return ok({ rows, truncated: false });
    if (rows.length === maxRows) return ok({ rows, truncated: true });
    next = { before: page.value.nextBefore, cursor: page.value.nextCursor ?? undefined };
  }
}

/** The file of the rows in `format`, named after the moment it was made (UTC). */
export function auditExportFile(
  rows: readonly AuditRow[],
  truncated: boolean,
  format: AuditExportFormat,
  at: Date,
): ConsoleAuditExport {
  const stamp = at.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return format === 'csv'
    ? { fileName: `audit-${stamp}.csv`, mediaType: 'text/csv', text: auditCsv(rows), rows: rows.length, truncated }
    : {
        fileName: `audit-${stamp}.jsonl`,
        mediaType: 'application/x-ndjson',
        text: auditJsonLines(rows),
        rows: rows.length,
        truncated,
      };
}

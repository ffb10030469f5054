// The audit log as a file an auditor opens: JSON lines (one row per line, as the retention exports write) or CSV
// (RFC 4180; cells a spreadsheet would run as a formula are prefixed with ', since details come from requests).
// Read in pages, written as it goes: the log can be millions of rows. Each row carries its chain fields (issuer/audit/:
// chain id, number in the chain, previous hash, hash; empty on rows written before the chain began), so an export
// can be checked with the same encoding (auditRowHash) away from the database.
import type { AuditEntry, IssuerStorage } from '../storage/issuer-storage.ts';

export type AuditExportFormat = 'jsonl' | 'csv';

const PAGE_ROWS = 1000;
const CSV_COLUMNS = [
  'sequence',
  'at',
  'event',
  'outcome',
  'code',
  'details',
  'chainId',
  'chainSequence',
  'previousHash',
  'hash',
] as const;

function csvCell(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

function line(row: AuditEntry, format: AuditExportFormat): string {
  const record = {
    sequence: row.sequence,
    at: new Date(row.at).toISOString(),
    event: row.event,
    outcome: row.outcome,
    code: row.code,
    details: row.details,
    chainId: row.chain?.chainId ?? null,
    chainSequence: row.chain?.chainSequence ?? null,
    previousHash: row.chain?.previousHash ?? null,
    hash: row.chain?.hash ?? null,
  };
  if (format === 'jsonl') return `${JSON.stringify(record)}\n`;
  const cells = [
    String(record.sequence),
    record.at,
    record.event,
    record.outcome,
    record.code ?? '',
    JSON.stringify(record.details),
    record.chainId ?? '',
    record.chainSequence === null ? '' : String(record.chainSequence),
    record.previousHash ?? '',
    record.hash ?? '',
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** Writes every audit row after `afterSequence`, oldest first; returns how many and the last sequence written. */
export async function exportAudit(
  storage: Pick<IssuerStorage, 'listAudit'>,
  format: AuditExportFormat,
  write: (chunk: string) => Promise<void> | void,
  afterSequence = 0,
): Promise<{ rows: number; lastSequence: number }> {
  if (format === 'csv') await write(`${CSV_COLUMNS.join(',')}\r\n`);
  let last = afterSequence;
  let rows = 0;
  for (;;) {
    const page = await storage.listAudit(last, PAGE_ROWS);
    if (page.length === 0) return { rows, lastSequence: last };
    await write(page.map((row) => line(row, format)).join(''));
    rows += page.length;
    last = page[page.length - 1]?.sequence ?? last;
  }
}

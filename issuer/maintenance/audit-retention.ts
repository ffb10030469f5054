// The audit retention: rows older than `audit.retentionDays` leave the database only after they are written, as
// JSON lines, to a new file in the export directory (created 0700, files 0600, never overwritten) and flushed to
// disk; the drop then records which file holds them and its SHA-256 (table audit_exports), in the same transaction
// as the drop and the audit row saying so. The audit log's delete trigger refuses any row not covered by such a
// record, so this is the only way out of the log.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { IssuerConfig } from '../config.ts';
import type { AuditEntry, IssuerStorage } from '../storage/issuer-storage.ts';

const DAY_MS = 86_400_000;
/** Rows per export file (and per drop transaction): a few MB, a short write lock. */
const EXPORT_BATCH_ROWS = 5000;
export const AUDIT_EXPORT_SUBDIRECTORY = 'audit-export';

export function auditExportDirectory(config: IssuerConfig, dataDir: string): string {
  return config.audit.exportDirectory ?? join(dataDir, AUDIT_EXPORT_SUBDIRECTORY);
}

export interface RetentionResult {
  exportedRows: number;
  files: string[];
}

/** Exports and drops every audit row older than the retention, batch by batch. */
export async function applyAuditRetention(
  storage: IssuerStorage,
  config: IssuerConfig,
  dataDir: string,
  now: Date,
): Promise<RetentionResult> {
  const cutoff = now.getTime() - config.audit.retentionDays * DAY_MS;
  const directory = auditExportDirectory(config, dataDir);
  const result: RetentionResult = { exportedRows: 0, files: [] };
  for (;;) {
    const rows = await storage.listAuditBefore(cutoff, EXPORT_BATCH_ROWS);
    const first = rows[0];
    const last = rows.at(-1);
    if (first === undefined || last === undefined) return result;
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    // The time in the name: after a crash between the write and the drop, the next round writes a new file (the
    // orphan holds the same rows again; nothing is lost either way).
    const file = join(directory, `audit-${first.sequence}-${last.sequence}-${now.getTime()}.jsonl`);
    const sha256 = writeDurably(file, rows);
    await storage.dropExportedAudit(
      { upToSequence: last.sequence, rows: rows.length, file, sha256, at: now.getTime() },
      {
        at: now.getTime(),
        event: 'audit-retention',
        outcome: 'success',
        code: null,
        details: {
          file,
          rows: rows.length,
          fromSequence: first.sequence,
          toSequence: last.sequence,
          sha256,
          retentionDays: config.audit.retentionDays,
        },
      },
    );
    result.exportedRows += rows.length;
    result.files.push(file);
  }
}

/** Writes the rows as JSON lines to a new file and flushes it to disk; returns the content's SHA-256 (hex). */
function writeDurably(file: string, rows: readonly AuditEntry[]): string {
  const content = Buffer.from(rows.map((row) => `${JSON.stringify(row)}\n`).join(''), 'utf8');
  // 'wx': an existing file is never overwritten.
  const descriptor = openSync(file, 'wx', 0o600);
  try {
    writeSync(descriptor, content);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  return createHash('sha256').update(content).digest('hex');
}

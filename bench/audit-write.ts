// `npm run bench:audit-write`: what one audit row costs through the real SQLite storage (its own transaction, as a
// refusal's row is written), and what the hash chain adds: rows per second and µs per row, the chain's SHA-256
// alone, and the rows of one enrollment's worth for scale. Prints figures only.
//
//   node --import tsx bench/audit-write.ts [--rows N] [--storage PATH]
// --storage: another checkout's issuer/storage/sqlite-storage.ts (e.g. main's, for the figure before the chain).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { auditRowHash } from '../issuer/audit/audit-chain.ts';
import type { AuditEntryInput, IssuerStorage } from '../issuer/storage/issuer-storage.ts';
import { benchArgs } from './bench-args.ts';

const args = benchArgs('bench/audit-write.ts', {
  rows: { kind: 'integer', default: 20_000 },
  storage: { kind: 'text', default: join(import.meta.dirname, '../issuer/storage/sqlite-storage.ts') },
});
const { rows } = args;
const storagePath = resolve(args.storage);

const { openSqliteStorage } = (await import(storagePath)) as {
  openSqliteStorage: (file: string, options: { checkpointIntervalMs: number }) => IssuerStorage;
};

const entry = (i: number): AuditEntryInput => ({
  at: Date.now(),
  event: 'redeem',
  outcome: 'success',
  code: null,
  details: { enrollmentId: `e-${i}`, serial: '5e00000000000000000000000000a1', remoteAddress: '127.0.0.1' },
});

const dir = mkdtempSync(join(tmpdir(), 'dck-bench-audit-'));
try {
  const storage = openSqliteStorage(join(dir, 'issuer.sqlite'), { checkpointIntervalMs: 0 });
  for (let i = 0; i < 500; i += 1) await storage.appendAudit(entry(i));
  const started = process.hrtime.bigint();
  for (let i = 0; i < rows; i += 1) await storage.appendAudit(entry(i));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await storage.close();

  const hashStarted = process.hrtime.bigint();
  let previous = '0'.repeat(64);
  for (let i = 0; i < rows; i += 1) {
    const e = entry(i);
    previous = auditRowHash('chain', i + 1, e, JSON.stringify(e.details), previous);
  }
  const hashSeconds = Number(process.hrtime.bigint() - hashStarted) / 1e9;

  console.log(`storage: ${storagePath}`);
  console.log(
    `audit rows, one transaction each: ${rows} in ${seconds.toFixed(2)} s = ${(rows / seconds).toFixed(0)} rows/s, ${((seconds / rows) * 1e6).toFixed(1)} µs/row`,
  );
  console.log(
    `chain hash alone (SHA-256 of the canonical encoding): ${((hashSeconds / rows) * 1e6).toFixed(2)} µs/row`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

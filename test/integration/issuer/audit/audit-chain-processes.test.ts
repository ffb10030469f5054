// Several processes writing audit rows to one SQLite file at once (`dck issuer --workers N`, `dck admin` beside a
// running issuer): three real child processes, each with the real storage and so its own chain, write as fast as
// they can while this process verifies the log over and over. No writer waits on another's head, no row is lost,
// and the log verifies, during the writes and after them.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../../../issuer/audit/verify-audit-log.ts';
import type { AuditVerification } from '../../../../issuer/audit/verify-audit-log.ts';
import { openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';

const CHILD = fileURLToPath(new URL('./audit-writer-child.ts', import.meta.url));
const ROWS_PER_CHILD = 300;
const CHILDREN = ['a', 'b', 'c'];

let dir = '';
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface ChildReport {
  name: string;
  rows: number;
  errors: string[];
}

/** A child's lines: "ready", then "half" (its first half written), then its report. */
function startChild(file: string, name: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, name, String(ROWS_PER_CHILD)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const said = (word: string) =>
    new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        if (line === word) resolve();
      });
    });
  const ready = said('ready');
  const halfWritten = said('half');
  const report = new Promise<ChildReport>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.startsWith('{')) resolve(JSON.parse(line) as ChildReport);
    });
    child.once('exit', (code) => reject(new Error(`child ${name} exited (${code}) without a report`)));
  });
  return {
    ready,
    halfWritten,
    report,
    go: () => child.stdin.write('go\n'),
    goOn: () => {
      child.stdin.write('go\n');
      child.stdin.end();
    },
  };
}

describe('audit chain: several writing processes', () => {
  it('each writes its own chain; the log verifies while they write and after', { timeout: 180_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'dck-audit-processes-'));
    const file = join(dir, 'issuer.sqlite');
    // This process opens the file first (migrations), and verifies from it.
    const storage = openSqliteStorage(file, { checkpointIntervalMs: 0 });
    try {
      const children = CHILDREN.map((name) => startChild(file, name));
      await Promise.all(children.map((child) => child.ready));
      for (const child of children) child.go();
      // Every child's second half waits for every child's first: the chains interleave whatever the scheduling (on a
      // loaded machine one child once wrote all its rows before another began).
      void Promise.all(children.map((child) => child.halfWritten)).then(() => {
        for (const child of children) child.goOn();
      });
      let done = false;
      const reports = Promise.all(children.map((child) => child.report)).finally(() => {
        done = true;
      });
      const duringWrites: AuditVerification[] = [];
      while (!done) {
        duringWrites.push(await verifyAuditLog(storage));
        // A macrotask between runs: the reads resolve without one, and the children's reports must get through.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const report of await reports) expect(report.errors).toEqual([]);

      expect(duringWrites.length).toBeGreaterThan(0);
      for (const verification of duringWrites) expect(verification.firstBreak).toBeNull();
      const after = await verifyAuditLog(storage);
      expect(after).toEqual({ rows: CHILDREN.length * ROWS_PER_CHILD, chains: CHILDREN.length, firstBreak: null });
      const rows = await storage.listAudit(0, 100_000);
      const chains = new Set(rows.map((row) => row.chain?.chainId));
      expect(chains.size).toBe(CHILDREN.length);
      // Interleaved in the log (they really ran at once), each chain numbered 1…N without a gap.
      for (const chainId of chains) {
        const numbers = rows.filter((row) => row.chain?.chainId === chainId).map((row) => row.chain?.chainSequence);
        expect(numbers).toEqual(Array.from({ length: ROWS_PER_CHILD }, (_, i) => i + 1));
      }
      expect(rows.slice(0, ROWS_PER_CHILD).some((row) => row.chain?.chainId !== rows[0]?.chain?.chainId)).toBe(true);
    } finally {
      await storage.close();
    }
  });
});

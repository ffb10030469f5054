// A process whose only work is storage writes (a `dck admin` command, a worker winding down) must finish them. The
// checkpoint worker holds writes back for a moment now and then; while they waited, nothing kept the process
// alive, and it ended with exit code 0, its remaining writes silently never made (seen as "child exited (0)
// without a report" in sqlite-storage-processes.test.ts).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./storage-short-lived-child.ts', import.meta.url));
const WRITES = 2000;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runChild(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CHILD, file, String(WRITES)],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
      },
    );
  });
}

describe('SQLite storage in a short-lived process', () => {
  it('makes every write it was asked for before the process ends, with no checkpoint worker failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dck-short-lived-'));
    dirs.push(dir);
    const file = join(dir, 'issuer.sqlite');
    for (let run = 1; run <= 3; run += 1) {
      const result = await runChild(file);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(String(WRITES));
      expect(result.stderr).not.toContain('checkpoint worker failed');
      const db = new Database(file, { readonly: true });
      try {
        const rows = db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE event = 'short-lived'").get() as {
          n: number;
        };
        expect(rows.n).toBe(WRITES * run);
      } finally {
        db.close();
      }
    }
  });
});

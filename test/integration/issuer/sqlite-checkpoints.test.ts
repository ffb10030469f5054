// The write-ahead log is copied back into the database from a worker thread. Under a steady write load it must
// still restart from its beginning, or the -wal file grows by every byte ever written (a disk filling up).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../../../issuer/storage/sqlite-storage.ts';

/** One page frame of the log: a 24-byte header and a 4096-byte page. */
const FRAME_BYTES = 24 + 4096;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('SQLite storage checkpoints', () => {
  it('keeps the write-ahead log far smaller than what was written, while writes never pause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dck-checkpoints-'));
    dirs.push(dir);
    const file = join(dir, 'issuer.sqlite');
    const storage = openSqliteStorage(file, { checkpointIntervalMs: 20 });
    let largestWal = 0;
    let walBytesWritten = 0;
    try {
      // A steady stream of commits, each in its own turn of the event loop as requests are, never pausing long
      // enough for a checkpoint to find the log idle. Each commit appends at least one page frame to the log.
      for (let rows = 1; rows <= 3_000; rows += 1) {
        await new Promise((resolve) => {
          setTimeout(resolve, 1);
        });
        await storage.appendAudit({ at: Date.now(), event: 'load', outcome: 'success', code: null, details: { rows } });
        walBytesWritten += FRAME_BYTES;
        if (rows % 100 === 0) largestWal = Math.max(largestWal, statSync(`${file}-wal`).size);
      }
    } finally {
      await storage.close();
    }
    expect(largestWal).toBeGreaterThan(0);
    // Restarted over and over: the file never holds more than a small part of everything written to it.
    expect(largestWal).toBeLessThan(walBytesWritten / 4);
  }, 60_000);
});

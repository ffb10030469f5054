// Child of storage-short-lived-process.test.ts: a short-lived process (like a `dck admin` command) whose only work
// is writes through the real SQLite storage, with the checkpoint worker running every millisecond so that writes are
// often held back by it. Prints the number of rows written, then closes the storage.
//
//   node --import tsx storage-short-lived-child.ts <database file> <writes>
import { openSqliteStorage } from '../../../issuer/storage/sqlite-storage.ts';

const [file = '', writesText = '0'] = process.argv.slice(2);

async function main(): Promise<void> {
  const storage = openSqliteStorage(file, { checkpointIntervalMs: 1 });
  let written = 0;
  for (let i = 0; i < Number(writesText); i += 1) {
    // A turn of the event loop between writes, as between requests: the worker's pause reaches this thread.
    await new Promise((resolve) => {
      setImmediate(resolve);
    });
    await storage.appendAudit({ at: Date.now(), event: 'short-lived', outcome: 'success', code: null, details: { i } });
    written += 1;
  }
  await storage.close();
  process.stdout.write(`${written}\n`);
}

void main();

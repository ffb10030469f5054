// Child process of audit-chain-processes.test.ts: opens the shared database with the real SQLite storage (so it
// writes its own audit chain), waits for "go" on stdin so all children start together, then writes audit rows as
// fast as it can, half of them alone (refusals) and half with a change (a device authorization), in two halves with
// a "go" before each, and prints one line: how many rows it wrote and the errors it saw.
//
//   node --import tsx audit-writer-child.ts <database file> <child name> <rows>
import { createInterface } from 'node:readline';
import { openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';
import type { AuditEntryInput } from '../../../../issuer/storage/issuer-storage.ts';

const [file = '', name = '', rowsText = '0'] = process.argv.slice(2);
const rows = Number(rowsText);
const storage = openSqliteStorage(file, { busyRetry: { deadlineMs: 60_000, maxDelayMs: 20 } });

const entry = (i: number): AuditEntryInput => ({
  at: Date.now(),
  event: i % 2 === 0 ? 'refusal' : 'device-authorization',
  outcome: i % 2 === 0 ? 'failure' : 'success',
  code: i % 2 === 0 ? 'invalid-request' : null,
  details: { child: name, i },
});

async function write(i: number): Promise<void> {
  if (i % 2 === 0) {
    await storage.appendAudit(entry(i));
    return;
  }
  const now = Date.now();
  await storage.insertDeviceAuthorization(
    {
      id: `${name}-${i}`,
      deviceCodeHash: `dc-${name}-${i}`,
      userCodeHash: `uc-${name}-${i}`,
      clientId: 'dck-phone',
      status: 'pending',
      createdAt: now,
      expiresAt: now + 600_000,
      intervalSeconds: 5,
      lastPollAt: null,
      cardId: null,
      enrollmentId: null,
      accessTokenHash: null,
      accessTokenExpiresAt: null,
      device: { platform: null, model: null, appName: null, appVersion: null },
      pairing: null,
    },
    entry(i),
  );
}

/** Writes rows [from, to), four at a time, as concurrent requests would be. */
async function writeRows(from: number, to: number, errors: string[]): Promise<void> {
  const next = { i: from };
  const loop = async () => {
    while (next.i < to) {
      const i = next.i;
      next.i += 1;
      await write(i).catch((error: unknown) => {
        errors.push(error instanceof Error ? error.message : String(error));
      });
    }
  };
  await Promise.all([loop(), loop(), loop(), loop()]);
}

// "go" starts the first half; "half" says it is written, and the second "go" (once every child is there) the rest:
// the chains interleave in the log however the machine schedules the children.
const goes = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
void (async () => {
  const errors: string[] = [];
  const half = Math.floor(rows / 2);
  await goes.next();
  await writeRows(0, half, errors);
  process.stdout.write('half\n');
  await goes.next();
  await writeRows(half, rows, errors);
  await storage.close();
  process.stdout.write(`${JSON.stringify({ name, rows, errors })}\n`);
})();
process.stdout.write('ready\n');

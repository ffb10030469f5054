// Child process of lifecycle-faults.test.ts: revokes the given serials one by one, or replaces the issuer, on the
// data directory, printing a line after each step, until the test kills it with SIGKILL.
import 'reflect-metadata';
import { join } from 'node:path';
import { parseIssuerConfig } from '../../../../issuer/config.ts';
import { revokeDerivedCredential } from '../../../../issuer/lifecycle/credential-state.ts';
import { replaceDataDirIssuer } from '../../../../issuer/lifecycle/replace-issuer.ts';
import { ISSUER_DATABASE_FILE, openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';

const [dataDir = '', mode = '', ...serials] = process.argv.slice(2);
const storage = openSqliteStorage(join(dataDir, ISSUER_DATABASE_FILE), { checkpointIntervalMs: 0 });
const actor = { kind: 'admin', id: 'fault test' } as const;

if (mode === 'revoke') {
  for (const serial of serials) {
    await revokeDerivedCredential({ storage, now: () => new Date() }, serial, 'keyCompromise', actor);
    process.stdout.write(`revoked ${serial}\n`);
  }
} else {
  process.stdout.write('replacing\n');
  await replaceDataDirIssuer({
    dataDir,
    storage,
    config: parseIssuerConfig({}),
    now: new Date(),
    actor,
    reason: 'cessationOfOperation',
  });
  process.stdout.write('replaced\n');
}
await storage.close();

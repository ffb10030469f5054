// `dck admin` for an issuer on PostgreSQL: the config file's `storage` section names the database (a private
// PostgreSQL cluster, postgres-server.ts), and the commands read and change it there, not a SQLite file in the data
// directory: list, revoke (audited with the actor), verify the audit chain; the database away is a clear refusal.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { enterIssuerGeneration } from '../../../issuer/lifecycle/issuer-generation.ts';
import type { IssuerStorage } from '../../../issuer/storage/issuer-storage.ts';
import { openPostgresStorage } from '../../../issuer/storage/postgres-storage.ts';
import { startPostgres } from '../issuer/storage/postgres-server.ts';
import type { PostgresServer } from '../issuer/storage/postgres-server.ts';
import { seedCredential } from '../../unit/issuer/lifecycle/seed-credentials.ts';

let server: PostgresServer;
let storage: IssuerStorage;
let dir = '';
let configFile = '';
let alice: { serial: string; cardId: string };

function dck(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      // An empty data directory: the database is the config's, never a SQLite file there.
      ['bin/dck.js', 'admin', ...args, '--config', configFile, '--data', dir],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  server = await startPostgres();
  const settings = await server.createDatabase();
  storage = await openPostgresStorage(settings);
  dir = mkdtempSync(join(tmpdir(), 'dck-admin-pg-'));
  configFile = join(dir, 'issuer.json');
  writeFileSync(configFile, JSON.stringify({ storage: { kind: 'postgres', url: settings.url } }), { mode: 0o600 });
  await enterIssuerGeneration(storage, new Uint8Array([1]), new Date(), { kind: 'issuer', id: 'test' });
  const now = Date.now();
  alice = await seedCredential(storage, {
    commonName: 'Alice Example',
    deviceId: 'pixel-alice',
    issuedAt: now,
    notAfter: now + 86_400_000,
  });
}, 120_000);
afterAll(async () => {
  await storage.close();
  await server.destroy();
  rmSync(dir, { recursive: true, force: true });
});

// Each command is a fresh process loading TypeScript through tsx: seconds apiece on a busy 2-core machine.
const SLOW = { timeout: 240_000 };

it('lists, revokes (audited with the actor) and verifies the audit log in the configured database', SLOW, async () => {
  const listed = await dck('credentials', 'list', '--json');
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(alice.serial);
  expect(listed.stdout).toContain('Alice Example');

  const revoked = await dck(
    'credentials',
    'revoke',
    '--serial',
    alice.serial,
    '--reason',
    'keyCompromise',
    '--actor',
    'ops',
  );
  expect(revoked.code).toBe(0);
  expect((await storage.findDerivedCertificate(alice.serial))?.status).toBe('revoked');
  const audit = (await storage.listAudit(0, 1000)).filter((row) => row.event === 'credential-revoke');
  expect(audit.at(-1)?.details).toMatchObject({ actor: 'ops', actorKind: 'admin' });

  expect(await dck('audit', 'verify')).toMatchObject({ code: 0 });
});

it('the database away: refused (exit 1) with the reason, no URL or password in it', SLOW, async () => {
  await server.stop();
  try {
    const listed = await dck('credentials', 'list');
    expect(listed.code).toBe(1);
    // The start-up message names the setting and what is wrong (issuer/storage/postgres-start-errors.ts).
    expect(listed.stderr).toContain('storage.url: nothing accepts connections on 127.0.0.1:');
    expect(listed.stderr).not.toContain('postgres://');
  } finally {
    await server.start();
  }
});

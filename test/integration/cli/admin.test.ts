// `dck admin` as an administrator runs it on the issuer host: a real data directory (SQLite), the command in its own
// process. Listing by each handle, show, revoke/suspend/resume with their refusals (exit 1, nothing changed), and the
// audit export in JSON lines and CSV, and the audit verification (exit 1 naming the row edited by raw SQL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { loadOrCreateKioskIdentity } from '../../../main/identity/kiosk-identity.ts';
import { enterIssuerGeneration } from '../../../issuer/lifecycle/issuer-generation.ts';
import type { IssuerStorage } from '../../../issuer/storage/issuer-storage.ts';
import { openTestStorage, seedCredential } from '../../unit/issuer/lifecycle/seed-credentials.ts';

let storage: IssuerStorage;
let dataDir: string;
let alice: { serial: string; cardId: string };
let bob: { serial: string; cardId: string };

function dck(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/dck.js', 'admin', ...args, '--data', dataDir],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  const opened = openTestStorage();
  storage = opened.storage;
  dataDir = dirname(opened.file);
  await enterIssuerGeneration(storage, new Uint8Array([1]), new Date(), { kind: 'issuer', id: 'test' });
  const now = Date.now();
  alice = await seedCredential(storage, {
    commonName: 'Alice Example',
    deviceId: 'pixel-alice',
    issuedAt: now,
    notAfter: now + 86_400_000,
  });
  bob = await seedCredential(storage, {
    commonName: 'Bob Example',
    deviceId: 'iphone-bob',
    issuedAt: now,
    notAfter: now + 86_400_000,
  });
});
afterAll(async () => {
  await storage.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// Each command is a fresh process loading TypeScript through tsx: seconds apiece on a busy 2-core machine.
const SLOW = { timeout: 240_000 };

describe('dck admin credentials', SLOW, () => {
  it('lists by name (part, any case), device and serial, as JSON', async () => {
    const byName = await dck('credentials', 'list', '--name', 'alice', '--json');
    expect(byName.code).toBe(0);
    expect((JSON.parse(byName.stdout) as Array<{ serialNumberHex: string }>).map((c) => c.serialNumberHex)).toEqual([
      alice.serial,
    ]);
    const byDevice = JSON.parse(
      (await dck('credentials', 'list', '--device', 'iphone-bob', '--json')).stdout,
    ) as Array<{ person: { name: string } }>;
    expect(byDevice.map((c) => c.person.name)).toEqual(['Bob Example']);
    expect((await dck('credentials', 'list', '--name', '%')).stdout).toMatch(/no derived credentials match/);
  });

  it('shows one credential with its binding', async () => {
    const shown = await dck('credentials', 'show', '--serial', alice.serial);
    expect(shown.stdout).toMatch(/state {13}active/);
    expect(shown.stdout).toMatch(/device {12}pixel-alice {2}Android 15 {2}Pixel 9/);
    expect(shown.stdout).toMatch(/card revocation {3}CRL http:\/\/crl\.example\/piv\.crl/);
  });

  it('suspends, resumes and revokes, audited with the actor; refusals exit 1 and change nothing', async () => {
    expect((await dck('credentials', 'suspend', '--serial', bob.serial, '--actor', 'help desk 7')).code).toBe(0);
    expect((await dck('credentials', 'resume', '--serial', bob.serial)).code).toBe(0);
    const revoked = await dck(
      'credentials',
      'revoke',
      '--device',
      'iphone-bob',
      '--reason',
      'keyCompromise',
      '--note',
      'lost',
      '--json',
    );
    expect(JSON.parse(revoked.stdout)).toEqual({ revoked: [bob.serial] });
    const twice = await dck('credentials', 'revoke', '--serial', bob.serial, '--reason', 'superseded');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/already revoked \(keyCompromise\)/);
    expect((await dck('credentials', 'resume', '--serial', bob.serial)).code).toBe(1);
    expect((await storage.findDerivedCertificate(bob.serial))?.revocationReason).toBe('keyCompromise');
    const audit = await storage.listAudit(0, 1000);
    expect(audit.find((row) => row.event === 'credential-suspend')?.details).toMatchObject({
      actor: 'help desk 7',
      actorKind: 'admin',
    });
  });

  it('refuses unknown serials (exit 1), revoke by name, bad reasons and a missing database (exit 2)', async () => {
    expect((await dck('credentials', 'show', '--serial', 'abcdef')).code).toBe(1);
    expect((await dck('credentials', 'revoke', '--name', 'Alice', '--reason', 'keyCompromise')).code).toBe(2);
    expect((await dck('credentials', 'revoke', '--serial', alice.serial, '--reason', 'because')).code).toBe(1);
    const missing = await new Promise<number>((resolve) => {
      execFile(
        process.execPath,
        ['bin/dck.js', 'admin', 'credentials', 'list', '--data', join(tmpdir(), 'no-such-issuer')],
        (error) => resolve(Number(error?.code ?? 0)),
      );
    });
    expect(missing).toBe(2);
    expect((await storage.findDerivedCertificate(alice.serial))?.status).toBe('active');
  });
});

describe('dck admin tenant', SLOW, () => {
  it('sets settings with an audit row naming the actor; a bad value exits 1 and changes nothing', async () => {
    const set = await dck(
      'tenant',
      'set',
      '--on-card-revoked',
      'flag',
      '--renewal-threshold',
      '75',
      '--actor',
      'ops lead',
      '--json',
    );
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ onCardRevoked: 'flag', renewalThresholdPercent: 75 });
    const refused = await dck('tenant', 'set', '--notifications', 'pigeon', '--on-card-revoked', 'revoke-derived');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/notificationTypes: one of none, email, app, both/);
    expect(JSON.parse(await storage.readTenantSettings().then((all) => all.onCardRevoked ?? 'null'))).toBe('flag');
    const audit = (await storage.listAudit(0, 10_000)).filter((row) => row.event === 'tenant-settings');
    expect(audit.map((row) => row.details.actor)).toEqual(['ops lead']);
  });
});

describe('dck admin agents', SLOW, () => {
  it('grants and withdraws help-desk roles by card UUID, audited with the actor; bad names and roles change nothing', async () => {
    const uuid = '0f8e6c1a-52b3-4c1d-9e00-00000000a9e7';
    const granted = await dck(
      'agents',
      'grant',
      '--uuid',
      uuid.toUpperCase(),
      '--role',
      'approver',
      '--actor',
      'ops lead',
    );
    expect(granted.code).toBe(0);
    expect(granted.stdout).toMatch(`granted approver uuid ${uuid}`);
    expect(JSON.parse((await dck('agents', 'list', '--json')).stdout)).toMatchObject([
      { kind: 'uuid', value: uuid, role: 'approver', grantedBy: 'admin:ops lead' },
    ]);
    expect((await dck('agents', 'grant', '--uuid', uuid, '--role', 'root')).code).toBe(1);
    expect((await dck('agents', 'grant', '--uuid', "x' OR 1=1", '--role', 'helpdesk')).code).toBe(1);
    expect((await dck('agents', 'grant', '--uuid', uuid, '--fascn', 'd4', '--role', 'helpdesk')).code).toBe(2);
    expect((await dck('agents', 'withdraw', '--uuid', uuid, '--role', 'approver')).code).toBe(0);
    expect((await dck('agents', 'list')).stdout).toMatch('no card holds a role');
    const audit = (await storage.listAudit(0, 10_000)).filter((row) => row.event.startsWith('agent-role'));
    expect(audit.map((row) => [row.event, row.code, row.details.identity])).toEqual([
      ['agent-role-grant', 'approver', uuid],
      ['agent-role-withdraw', 'approver', uuid],
    ]);
  });
});

describe('dck admin audit export', SLOW, () => {
  it('writes JSON lines and CSV files (0600), every row once, spreadsheet formulas defused', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dck-audit-'));
    const rows = (await storage.listAudit(0, 100_000)).length;
    const jsonl = await dck('audit', 'export', '--out', join(out, 'audit.jsonl'), '--json');
    expect(JSON.parse(jsonl.stdout)).toMatchObject({ rows });
    const lines = readFileSync(join(out, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { sequence: number });
    expect(lines.map((line) => line.sequence)).toEqual([...new Set(lines.map((line) => line.sequence))]);
    // Each row with its chain fields: the next row of a chain names the hash of the one before.
    const chained = lines as unknown as {
      chainId: string;
      chainSequence: number;
      previousHash: string;
      hash: string;
    }[];
    expect(chained[1]?.previousHash).toBe(chained[0]?.hash);
    expect(statSync(join(out, 'audit.jsonl')).mode & 0o777).toBe(0o600);
    await storage.appendAudit({
      at: Date.now(),
      event: '=HYPERLINK("x")',
      outcome: 'failure',
      code: null,
      details: { note: 'a,"b"' },
    });
    expect((await dck('audit', 'export', '--format', 'csv', '--out', join(out, 'audit.csv'))).code).toBe(0);
    const csv = readFileSync(join(out, 'audit.csv'), 'utf8');
    expect(csv.split('\r\n')[0]).toBe('sequence,at,event,outcome,code,details,chainId,chainSequence,previousHash,hash');
    expect(csv).toContain('"\'=HYPERLINK(""x"")"');
    expect((await dck('audit', 'export', '--out', join(out, 'audit.csv'))).code).not.toBe(0);
    rmSync(out, { recursive: true, force: true });
  });
});

describe('dck admin audit verify', SLOW, () => {
  it('exits 0 on an untouched log and 1 naming the row edited with raw SQL', async () => {
    const good = await dck('audit', 'verify', '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ verified: true, firstBreak: null });
    const [row] = (await storage.listAudit(0, 1)).slice(0, 1);
    const sequence = row?.sequence ?? 0;
    const db = new Database(join(dataDir, 'issuer.sqlite'));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET outcome = 'failure' WHERE sequence = ?`).run(sequence);
    db.close();
    const bad = await dck('audit', 'verify');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`audit log BROKEN at row ${sequence}`);
    expect(bad.stdout).toContain('(edited)');
  });
});

describe('dck admin kiosks', SLOW, () => {
  it('adds a kiosk by its public key file, refuses a second one and a non-Ed25519 key, lists and revokes', async () => {
    const keyFile = join(dataDir, 'kiosk', 'kiosk.key.pem');
    const identity = loadOrCreateKioskIdentity(keyFile, 'lobby-1');
    const added = await dck('kiosks', 'add', '--name', 'lobby-1', '--public-key', `${keyFile}.pub.pem`, '--json');
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toEqual({ registered: 'lobby-1', fingerprint: identity.fingerprint });
    expect((await dck('kiosks', 'add', '--name', 'lobby-1', '--public-key', `${keyFile}.pub.pem`)).code).toBe(1);
    const rsaFile = join(dataDir, 'kiosk', 'rsa.pub.pem');
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(rsaFile, publicKey.export({ format: 'pem', type: 'spki' }));
    const rsa = await dck('kiosks', 'add', '--name', 'lobby-2', '--public-key', rsaFile);
    expect(rsa.code).toBe(1);
    expect(rsa.stderr).toContain('must be Ed25519');
    expect((await dck('kiosks', 'revoke', '--name', 'lobby-1')).code).toBe(0);
    const listed = await dck('kiosks', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toMatchObject([{ name: 'lobby-1', revoked: true, problems: ['revoked'] }]);
    const audit = (await storage.listAudit(0, 100_000)).filter((row) => row.event.startsWith('kiosk-'));
    expect(audit.map((row) => row.event)).toEqual(['kiosk-register', 'kiosk-revoke']);
  });
});

// `dck pc` on Windows, run on Linux: the command's Windows path (certreq, CurrentUser stores, Task Scheduler) against a
// FAKE Windows (test/unit/native/device-keys/windows/fake-windows-commands.ts: replays certreq/certutil/schtasks as
// Microsoft documents their output) and a real issuer (HTTPS, SQLite, its CRL read by OpenSSL). The card's PKI-AUTH
// is the test PKI's card signing in over the issuer's routes (the real card and reader: pc.test.ts). What a tester
// checks on a real Windows PC: cli/README.md.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../../cli/commands/pc.ts';
import type { PcHost } from '../../../cli/commands/pc.ts';
import { WINDOWS_RENEWAL_TASK_NAME } from '../../../main/this-pc/windows-renewal-task.ts';
import { FakeWindowsCommands } from '../../unit/native/device-keys/windows/fake-windows-commands.ts';
import { setTenantSettings } from '../issuer/issuer-fixture.ts';
import type { IssuerHarness } from '../issuer/issuer-fixture.ts';
import { opensslVerify, relyingPartyFiles } from '../issuer/lifecycle/lifecycle-fixture.ts';
import {
  FAKE_WINDOWS_NODE_EXE,
  fakeWindowsHost,
  startPcBench,
  storedCredential,
  testCardSignIn,
} from './pc-fixture.ts';
import type { PcBench } from './pc-fixture.ts';

const PLATFORM_PROVIDER = 'Microsoft Platform Crypto Provider';
const SOFTWARE_PROVIDER = 'Microsoft Software Key Storage Provider';

let bench: PcBench;
let h: IssuerHarness;
let windows: FakeWindowsCommands;
let state: string;

beforeAll(async () => {
  bench = await startPcBench({ name: 'dck-pc-windows-' });
  h = bench.h;
}, 60_000);
afterAll(() => bench.stop());
beforeEach(() => {
  windows = new FakeWindowsCommands();
  state = mkdtempSync(join(bench.work, 'state-'));
});

const host = (): PcHost => ({ windows: fakeWindowsHost(windows), signIn: () => testCardSignIn(h) });

/** `dck pc …` in this process on the FAKE Windows: exit code and what it printed. */
async function dckPc(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)));
  const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void err.push(String(line)));
  try {
    const code = await run(args, host());
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const enroll = (...extra: string[]) =>
  dckPc(['enroll', '--issuer', h.issuer.url, '--ca', bench.caFile, '--state', state, ...extra]);

const savedState = (): { store: string; credential: { serialNumberHex: string } | null } =>
  JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as {
    store: string;
    credential: { serialNumberHex: string } | null;
  };

/** Nothing of an enrollment left on the PC: no key, no pending request, no certificate, no reminder. */
function expectNothingLeft(): void {
  expect(windows.keys.size).toBe(0);
  expect(windows.stores.REQUEST).toEqual([]);
  expect(windows.stores.My).toEqual([]);
  expect(windows.tasks.size).toBe(0);
}

describe('dck pc on Windows (FAKE Windows, real issuer)', () => {
  it('enroll: the key in the TPM provider, the certificate in CurrentUser\\My, a TPM key at the issuer, the reminder task; status; remove revokes it', async () => {
    const enrolled = await enroll();
    expect(enrolled.stderr).toBe('');
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toMatch(/^This PC is set up\. Its credential expires \d{4}-\d{2}-\d{2}\./);
    expect(enrolled.stdout).toContain(
      `A daily renewal reminder is on (Task Scheduler: "${WINDOWS_RENEWAL_TASK_NAME}")`,
    );
    expect([...windows.keys.values()]).toEqual([PLATFORM_PROVIDER]);
    const newRequest = windows.calls.find((call) => call.program === 'certreq' && call.args[0] === '-new');
    expect(newRequest?.args.slice(0, 3)).toEqual(['-new', '-q', '-user']);
    const [installed] = windows.stores.My;
    const leaf = new X509Certificate(installed?.der ?? Buffer.alloc(0));
    const { serialNumberHex } = savedState().credential ?? { serialNumberHex: '' };
    expect(leaf.serialNumber.toLowerCase()).toBe(serialNumberHex);
    expect(leaf.verify(new X509Certificate(h.issuer.caCertificatePem).publicKey)).toBe(true);
    expect(windows.stores.CA.length).toBeGreaterThan(0);
    expect(await storedCredential(h, serialNumberHex)).toMatchObject({ status: 'active', keyProtection: 'tpm' });

    const task = windows.tasks.get(WINDOWS_RENEWAL_TASK_NAME) ?? '';
    expect(task).toContain(`<Command>${FAKE_WINDOWS_NODE_EXE}</Command>`);
    expect(task).toContain(`<Arguments>C:\\dck\\bin\\dck.js pc status --notify --state ${state}</Arguments>`);
    expect(task).toContain('<UserId>AGENCY\\pat</UserId>');
    expect(task).toContain('<StartBoundary>2026-12-07T09:00:00</StartBoundary>');

    const status = await dckPc(['status', '--json', '--state', state]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ installed: true, renewalDue: false, serialNumberHex });

    const leafFile = join(bench.work, 'windows-leaf.pem');
    writeFileSync(leafFile, leaf.toString());
    const before = await relyingPartyFiles(h);
    expect(await opensslVerify(before.caFile, before.crlFile, leafFile)).toMatchObject({ ok: true });
    const removed = await dckPc(['remove', '--state', state]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('revoked and its key deleted');
    const after = await relyingPartyFiles(h);
    expect((await opensslVerify(after.caFile, after.crlFile, leafFile)).output).toMatch(/certificate revoked/);
    expectNothingLeft();
    // A status after removal: not set up (the reminder that would run it is gone too).
    expect((await dckPc(['status', '--state', state])).stdout).toContain('not set up');
  }, 60_000);

  it('an install that fails after issuance: the issued certificate is revoked, the key deleted, nothing saved', async () => {
    windows.addStoreFails = true;
    const failed = await enroll();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('The certificate could not be installed');
    expect(failed.stderr).toContain('was revoked and its key deleted');
    const [issued] = windows.accepted;
    const serial = new X509Certificate(issued ?? Buffer.alloc(0)).serialNumber.toLowerCase();
    expect(await storedCredential(h, serial)).toMatchObject({
      status: 'revoked',
      revocationReason: 'cessationOfOperation',
    });
    expectNothingLeft();
    expect(existsSync(join(state, 'state.json'))).toBe(false);
  }, 60_000);

  it('no TPM, the organisation allows software keys: the software provider, marked software-protected at the issuer', async () => {
    windows.tpmReady = false;
    const enrolled = await enroll();
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toContain('No TPM answers on this PC');
    expect([...windows.keys.values()]).toEqual([SOFTWARE_PROVIDER]);
    const saved = savedState();
    expect(saved.store).toBe('software');
    expect(await storedCredential(h, saved.credential?.serialNumberHex ?? '')).toMatchObject({
      keyProtection: 'software',
    });
    expect((await dckPc(['remove', '--state', state])).code).toBe(0);
    expectNothingLeft();
  }, 60_000);

  it('--store tpm on a PC without a TPM: a plain message before the card, nothing made', async () => {
    windows.tpmReady = false;
    const refused = await enroll('--store', 'tpm');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('No TPM answers on this PC');
    expect(windows.calls.some((call) => call.program === 'certreq')).toBe(false);
    expectNothingLeft();
  }, 60_000);

  it('no TPM, the organisation refuses software keys: the issuer refuses, the software key is deleted', async () => {
    await setTenantSettings(h.dataDir, { pcSoftwareKeys: 'refuse' });
    // The issuer re-reads tenant settings every few seconds.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    windows.tpmReady = false;
    const refused = await enroll();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("accepts only keys kept in the PC's TPM");
    expect(refused.stderr).toContain('The key made for it was deleted.');
    expect(windows.calls.some((call) => call.program === 'certreq' && call.args[0] === '-new')).toBe(true);
    expectNothingLeft();
  }, 60_000);
});

// `dck phone redeem` and Ctrl-C (cli/commands/phone.ts withConnection): while the phone waits for the help-desk agent
// (supervised issuance, a real issuer on loopback), SIGINT aborts the wait. The command says it stopped, exits 1,
// installs nothing, prints no secret, and leaves no process behind. And a redeem whose answer is lost on the way
// (a loopback proxy drops it after the issuer issued): the command says it retries, and installs the certificate.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuerStorage } from '../../../issuer/storage/issuer-storage.ts';
import { openConfiguredStorage } from '../../../issuer/storage/open-storage.ts';
import { approve, kioskSignIn, startHarness, type IssuerHarness } from '../issuer/issuer-fixture.ts';
import { startLoopbackProxy } from '../phone/loopback-proxy.ts';

let h: IssuerHarness;
let workDir: string;

beforeAll(async () => {
  h = await startHarness({
    config: { otp: { lifetimeSeconds: 300 } },
    tenantSettings: { supervision: 'agent-affirms' },
  });
  workDir = mkdtempSync(join(tmpdir(), 'dck-phone-cli-'));
}, 60_000);

afterAll(async () => {
  await h.close();
  rmSync(workDir, { recursive: true, force: true });
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `dck phone <args>` in its own process group with `stdin`; once `interruptOn` shows in its output, sends it
 * SIGINT (as Ctrl-C does to the terminal's foreground group). Killed (and the test failed) if it runs on.
 */
function dckPhone(args: string[], stdin: string, interruptOn?: string): Promise<Ended & { pid: number }> {
  const child = spawn(process.execPath, ['bin/dck.js', 'phone', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const pid = child.pid ?? 0;
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  const seen = (): void => {
    if (interruptOn !== undefined && !interrupted && (stdout + stderr).includes(interruptOn)) {
      interrupted = true;
      process.kill(-pid, 'SIGINT');
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    seen();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    seen();
  });
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    const limit = setTimeout(() => {
      process.kill(-pid, 'SIGKILL');
      reject(new Error(`dck phone ${args[0] ?? ''} still running after 60 s:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.once('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, stdout, stderr, pid });
    });
  });
}

/** Whether any process of group `pid` is still alive (signal 0 checks without sending anything). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `dck phone start` against `issuer` (reached at `url`), the kiosk approves, `dck phone poll`: ready to redeem. */
async function approvedPhone(issuer: IssuerHarness, url: string, stateDir: string) {
  const caFile = join(workDir, 'issuer-tls.pem');
  writeFileSync(caFile, issuer.issuer.tlsCertificatePem);
  const started = await dckPhone(['start', '--issuer', url, '--ca', caFile, '--state', stateDir, '--json'], '');
  expect(started.code).toBe(0);
  const { userCode } = JSON.parse(started.stdout) as { userCode: string };
  const session = await kioskSignIn(issuer.http, await issuer.card());
  const approved = await approve(issuer.http, session.sessionToken, userCode);
  expect(approved.status).toBe(201);
  expect((await dckPhone(['poll', '--state', stateDir, '--timeout', '30'], '')).code).toBe(0);
  const { token } = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as {
    token: { accessToken: string; enrollmentId: string };
  };
  return { approved, token };
}

describe('dck phone redeem, Ctrl-C while it waits for the help-desk agent', () => {
  it('stops as cancelled (exit 1, its sentence), installs nothing, prints no secret, leaves no process', async () => {
    const stateDir = join(workDir, 'state');
    const { approved, token } = await approvedPhone(h, h.issuer.url, stateDir);

    const redeemed = await dckPhone(
      ['redeem', '--qr-text', approved.body.qrPayload, '--state', stateDir],
      `${approved.body.otp}\n`,
      'Key fingerprint',
    );
    expect(redeemed.signal).toBeNull();
    expect(redeemed.code).toBe(1);
    expect(redeemed.stderr).toContain(
      'dck phone: stopped before the issuer answered: nothing was installed [cancelled]',
    );
    expect(existsSync(join(stateDir, 'derived-key.pem'))).toBe(false);
    expect(existsSync(join(stateDir, 'derived-certificate.pem'))).toBe(false);
    const printed = redeemed.stdout + redeemed.stderr;
    expect(printed).not.toContain(approved.body.otp);
    expect(printed).not.toContain(token.accessToken);
    expect(groupAlive(redeemed.pid)).toBe(false);
  }, 120_000);
});

describe('dck phone redeem whose answer is lost on the way', () => {
  it('prints a retry line (no secret), gets the same certificate again and installs it', async () => {
    const proxy = await startLoopbackProxy();
    // Unsupervised, behind the proxy: its QR codes name the proxy, which the phone reaches it through.
    const lossy = await startHarness({ config: { publicBaseUrl: proxy.url } });
    proxy.forwardTo(Number(new URL(lossy.issuer.url).port));
    const admin: IssuerStorage = await openConfiguredStorage(lossy.issuer.config.storage, lossy.dataDir);
    try {
      const stateDir = join(workDir, 'lossy-state');
      const { approved, token } = await approvedPhone(lossy, proxy.url, stateDir);
      const cuts = proxy.cutAnswerOnceWhen(
        async () => (await admin.findEnrollment(token.enrollmentId))?.status === 'completed',
      );
      const redeemed = await dckPhone(
        ['redeem', '--qr-text', approved.body.qrPayload, '--state', stateDir],
        `${approved.body.otp}\n`,
      );
      expect(await cuts).toBe(1);
      expect(redeemed.stderr).toMatch(
        /no answer to the redeem yet \(if the certificate was issued, the issuer sends the same one again\): .*(ECONNRESET|socket hang up).*; retrying in 1 s \(1 of 6 failures in a row\)…/,
      );
      expect(redeemed.code).toBe(0);
      expect(redeemed.stdout).toContain(
        "Derived PIV Authentication certificate installed (the issuer's first answer was lost on the way; it sent the same certificate again).",
      );
      expect(existsSync(join(stateDir, 'derived-certificate.pem'))).toBe(true);
      const printed = redeemed.stdout + redeemed.stderr;
      expect(printed).not.toContain(approved.body.otp);
      expect(printed).not.toContain(token.accessToken);
    } finally {
      await admin.close();
      await proxy.close();
      await lossy.close();
    }
  }, 120_000);
});

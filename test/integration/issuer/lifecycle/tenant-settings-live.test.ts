// The tenant settings are the one source of the notification channels and the renewal threshold, and a running
// issuer follows `dck admin tenant set` (a real process on the issuer's data directory) without a restart: the
// phone's status route, the new-credential notice and the renewal-due scan all change with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialStatus } from '../../../../contracts/issuer-api.ts';
import { makeCsr, redeem, startHarness, upToRedeem } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';
import { startSmtpSink } from '../notifications/smtp-sink.ts';
import type { SmtpSink } from '../notifications/smtp-sink.ts';

const DAY_MS = 86_400_000;
let sink: SmtpSink;
let h: IssuerHarness;

beforeAll(async () => {
  sink = await startSmtpSink();
  // The relay is configured (transport); whether anyone is mailed is the tenant's setting, left at its default.
  h = await startHarness({
    config: {
      notifications: {
        from: 'notices@issuer.example',
        sendIntervalSeconds: 3600,
        smtp: { host: '127.0.0.1', port: sink.port, tls: 'none', timeoutSeconds: 5 },
      },
    },
  });
}, 60_000);
afterAll(async () => {
  await h.close();
  await sink.stop();
});

/** `dck admin` on the running issuer's database: its data dir, and its storage section (SQLite or PostgreSQL). */
function dckAdmin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = join(h.dataDir, 'admin-config.json');
  writeFileSync(config, JSON.stringify({ storage: h.issuer.config.storage }));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/dck.js', 'admin', ...args, '--config', config, '--data', h.dataDir],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
      },
    );
  });
}

async function enroll(email: string): Promise<{ serialNumberHex: string; notBefore: number; notAfter: number }> {
  const card = await h.pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Live Holder', email });
  const { code, accessToken } = await upToRedeem(h, card);
  const redeemed = await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
  expect(redeemed.status).toBe(200);
  const stored = await h.issuer.storage.findDerivedCertificate(redeemed.body.serialNumberHex);
  if (stored === null) throw new Error('the redeemed credential is not stored');
  return { serialNumberHex: stored.serialNumberHex, notBefore: stored.notBefore, notAfter: stored.notAfter };
}

async function status(serialNumberHex: string): Promise<CredentialStatus> {
  const answer = await h.http.route<'credentialStatus', CredentialStatus>('credentialStatus', {
    params: { serialNumberHex },
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

const dueAt = (credential: { notBefore: number; notAfter: number }, percent: number): string =>
  new Date(
    credential.notBefore + Math.floor(((credential.notAfter - credential.notBefore) * percent) / 100),
  ).toISOString();

describe('tenant settings reach a running issuer', { timeout: 120_000 }, () => {
  it('dck admin tenant set --notifications both --renewal-threshold 50: status, notices and renewal follow, no restart', async () => {
    // Default: app notices at 80%, no email even though a relay is configured.
    const first = await enroll('first@agency.example');
    expect((await status(first.serialNumberHex)).renewalDueAt).toBe(dueAt(first, 80));
    expect(await h.issuer.storage.listNotifications(100)).toEqual([]);

    const set = await dckAdmin('tenant', 'set', '--notifications', 'both', '--renewal-threshold', '50', '--json');
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);

    // The issuer re-reads the settings every 5 s: within a few seconds the phone's status shows the new threshold.
    const deadline = Date.now() + 15_000;
    while ((await status(first.serialNumberHex)).renewalDueAt !== dueAt(first, 50) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await status(first.serialNumberHex)).renewalDueAt).toBe(dueAt(first, 50));

    // A credential issued now is told by email; the first one was issued while email was off and stays untold.
    const second = await enroll('second@agency.example');
    const queued = await h.issuer.storage.listNotifications(100);
    expect(queued.map((row) => [row.kind, row.derivedSerialHex])).toEqual([
      ['credential-issued', second.serialNumberHex],
    ]);
    expect(await h.issuer.notifications.runOnce()).toMatchObject({ sent: 1 });
    expect(sink.received.map((mail) => mail.headers.get('to'))).toEqual(['second@agency.example']);

    // Renewal-due at 50% of the lifetime, for both credentials.
    h.advanceClock(Math.ceil((second.notAfter - second.notBefore) / 2) + DAY_MS);
    expect(await h.issuer.notifications.runOnce()).toMatchObject({ queuedRenewals: 2, sent: 2 });
    expect((await status(first.serialNumberHex)).renewalDue).toBe(true);

    // And back off: with notificationTypes none, the status route shows no renewal date and nothing more is sent.
    expect((await dckAdmin('tenant', 'set', '--notifications', 'none')).code).toBe(0);
    const offDeadline = Date.now() + 15_000;
    while ((await status(first.serialNumberHex)).renewalDueAt !== null && Date.now() < offDeadline)
      await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await status(first.serialNumberHex)).toMatchObject({ renewalDueAt: null, renewalDue: false });
    expect(await h.issuer.notifications.runOnce()).toMatchObject({ leaseHeld: false, sent: 0 });
  });
});

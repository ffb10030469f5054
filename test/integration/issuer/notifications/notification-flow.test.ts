// Notices through the real issuer (HTTPS, SQLite) to a real SMTP server on loopback: the new-credential notice is
// queued with the certificate and sent once with correct headers; a mail server that is down delays a notice and
// loses nothing; two senders never send one notice twice; renewal-due is sent once, across restarts; no message
// carries an OTP, code, token or key used in the flows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailTransport } from '../../../../issuer/notifications/mail-transport.ts';
import { startNotifications } from '../../../../issuer/notifications/notification-job.ts';
import type { NotificationJob } from '../../../../issuer/notifications/notification-job.ts';
import { makeCsr, redeem, startHarness, upToRedeem } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';
import { startSmtpSink } from './smtp-sink.ts';
import type { ReceivedMail, SmtpSink } from './smtp-sink.ts';

const FROM = 'notices@issuer.example';
const DAY_MS = 86_400_000;

let sink: SmtpSink;
let h: IssuerHarness;
/** Every secret the flows handled: none may appear in any message. */
const secrets: string[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  h = await startHarness({
    tenantSettings: { notificationTypes: 'both' },
    config: {
      displayName: 'Example Agency Issuer',
      notifications: {
        from: FROM,
        sendIntervalSeconds: 3600,
        retryBaseSeconds: 60,
        smtp: { host: '127.0.0.1', port: sink.port, tls: 'none', timeoutSeconds: 5 },
      },
    },
  });
}, 60_000);

afterAll(async () => {
  await h.close();
  await sink.stop();
});

/** The body as the reader sees it (quoted-printable or base64 undone), so a secret split over lines is still found. */
function decodedBody(mail: ReceivedMail): string {
  const encoding = mail.headers.get('content-transfer-encoding')?.toLowerCase() ?? '7bit';
  if (encoding === 'base64') return Buffer.from(mail.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding !== 'quoted-printable') return mail.body;
  const bytes = mail.body
    .replace(/=\r\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

async function enrollPhone(email: string | undefined): Promise<{ serialNumberHex: string; notAfter: string }> {
  const card = await h.pki.issueCardCertificate({
    keyAlgorithm: 'P-256',
    commonName: 'Notice Holder',
    ...(email === undefined ? {} : { email }),
  });
  const { device, session, code, accessToken } = await upToRedeem(h, card);
  const redeemed = await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
  expect(redeemed.status).toBe(200);
  secrets.push(
    code.otp,
    device.device_code,
    device.user_code,
    accessToken,
    session.sessionToken,
    Buffer.from(card.privateKeyPkcs8).toString('base64'),
  );
  return { serialNumberHex: redeemed.body.serialNumberHex, notAfter: redeemed.body.notAfter };
}

describe('notifications: a new derived credential', () => {
  it('is told to the address in the card certificate, once, with the headers a mail reader needs', async () => {
    const issued = await enrollPhone('holder@agency.example');
    // Queued with the certificate, in the same transaction.
    const queued = (await h.issuer.storage.listNotifications(100)).filter(
      (row) => row.derivedSerialHex === issued.serialNumberHex,
    );
    expect(queued.map((row) => [row.kind, row.status])).toEqual([['credential-issued', 'pending']]);

    const run = await h.issuer.notifications.runOnce();
    expect(run).toMatchObject({ leaseHeld: true, sent: 1, retried: 0, failed: 0 });
    expect(sink.received).toHaveLength(1);
    const [mail] = sink.received as [ReceivedMail];
    expect(mail.envelopeTo).toEqual(['holder@agency.example']);
    expect(mail.headers.get('from')).toBe(FROM);
    expect(mail.headers.get('to')).toBe('holder@agency.example');
    expect(mail.headers.get('subject')).toBe('A new derived PIV credential was issued to you (Example Agency Issuer)');
    expect(Math.abs(new Date(mail.headers.get('date') ?? '').getTime() - Date.now())).toBeLessThan(60_000);
    expect(mail.headers.get('message-id')).toBe(`<${queued[0]?.id ?? ''}@issuer.example>`);
    expect(mail.headers.get('content-language')).toBe('en');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.headers.get('content-type')).toMatch(/^text\/plain; charset=utf-8/);
    const body = decodedBody(mail);
    expect(body).toContain(`Certificate serial number: ${issued.serialNumberHex}`);
    expect(body).toContain('If you did not enroll a phone, contact your help desk now');

    // Sent is sent: later runs (this process or a restarted one) send nothing more.
    expect((await h.issuer.notifications.runOnce()).sent).toBe(0);
    expect(sink.received).toHaveLength(1);
    const audit = (await h.issuer.storage.listAudit(0, 1000)).filter((row) => row.event === 'notification');
    expect(audit.map((row) => [row.outcome, row.details.kind, row.details.recipientDomain])).toEqual([
      ['success', 'credential-issued', 'agency.example'],
    ]);
  }, 60_000);

  it('waits out a mail server that is down: nothing lost, nothing sent twice', async () => {
    await sink.stop();
    const before = sink.received.length;
    const issued = await enrollPhone('second@agency.example');
    expect(await h.issuer.notifications.runOnce()).toMatchObject({ sent: 0, retried: 1 });
    const waiting = (await h.issuer.storage.listNotifications(100)).find(
      (row) => row.derivedSerialHex === issued.serialNumberHex,
    );
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, lastError: 'smtp-unavailable' });
    // Not due yet: the back-off holds it even though the server is back.
    await sink.start();
    expect((await h.issuer.notifications.runOnce()).sent).toBe(0);
    h.advanceClock(70_000);
    expect((await h.issuer.notifications.runOnce()).sent).toBe(1);
    expect((await h.issuer.notifications.runOnce()).sent).toBe(0);
    const delivered = sink.received.slice(before);
    expect(delivered.map((mail) => mail.headers.get('to'))).toEqual(['second@agency.example']);
    expect((await h.issuer.storage.listNotifications(100)).find((row) => row.id === waiting?.id)).toMatchObject({
      status: 'sent',
      attempts: 2,
    });
  }, 60_000);

  it('is sent once when two senders run at the same moment', async () => {
    const before = sink.received.length;
    await enrollPhone('third@agency.example');
    const settings = h.issuer.config.notifications;
    let second: NotificationJob | null = null;
    try {
      second = startNotifications({
        storage: h.issuer.storage,
        config: h.issuer.config,
        now: () => new Date(Date.now() + 70_000),
        directory: null,
        transport: settings.smtp === undefined ? null : createMailTransport(settings.smtp),
        warn: () => undefined,
      });
      const runs = await Promise.all([h.issuer.notifications.runOnce(), second.runOnce()]);
      expect(runs.filter((run) => run.leaseHeld)).toHaveLength(1);
      expect(runs.reduce((sum, run) => sum + run.sent, 0)).toBe(1);
    } finally {
      await second?.stop();
    }
    expect(sink.received.length - before).toBe(1);
  }, 60_000);

  it('a claimed notice is not claimed by a second sender until the claim lapses', async () => {
    const before = sink.received.length;
    const issued = await enrollPhone('fourth@agency.example');
    const at = Date.now() + 70_000;
    const [claimed] = await h.issuer.storage.claimNotifications('sender-x', at, 300_000, 10);
    expect(claimed?.derivedSerialHex).toBe(issued.serialNumberHex);
    expect(await h.issuer.storage.claimNotifications('sender-y', at, 300_000, 10)).toEqual([]);
    expect(
      await h.issuer.storage.settleNotification(claimed?.id ?? '', 'sender-y', { outcome: 'sent', at }, null),
    ).toBe(false);
    expect((await h.issuer.notifications.runOnce()).sent).toBe(0);
    // sender-x died: five minutes on, its claim has lapsed and the notice goes out.
    h.advanceClock(301_000);
    expect((await h.issuer.notifications.runOnce()).sent).toBe(1);
    expect(sink.received.length - before).toBe(1);
    expect(
      await h.issuer.storage.settleNotification(claimed?.id ?? '', 'sender-x', { outcome: 'sent', at }, null),
    ).toBe(false);
  }, 60_000);

  it('a card with no address and no directory: the notice is given up and audited, nothing is sent', async () => {
    const before = sink.received.length;
    const issued = await enrollPhone(undefined);
    expect(await h.issuer.notifications.runOnce()).toMatchObject({ sent: 0, failed: 1 });
    expect(sink.received.length).toBe(before);
    const row = (await h.issuer.storage.listNotifications(100)).find(
      (r) => r.derivedSerialHex === issued.serialNumberHex,
    );
    expect(row).toMatchObject({ status: 'failed', lastError: 'no-address' });
    const audit = (await h.issuer.storage.listAudit(0, 1000)).filter(
      (r) => r.event === 'notification' && r.outcome === 'failure',
    );
    expect(audit.map((r) => r.code)).toEqual(['no-address']);
  }, 60_000);
});

describe('notifications: a mailbox the mail server refuses', () => {
  it('a permanent refusal (550) gives the notice up at once, audited; nothing is retried', async () => {
    const before = sink.received.length;
    const issued = await enrollPhone('refused-holder@agency.example');
    expect(await h.issuer.notifications.runOnce()).toMatchObject({ sent: 0, retried: 0, failed: 1 });
    const row = (await h.issuer.storage.listNotifications(100)).find(
      (r) => r.derivedSerialHex === issued.serialNumberHex,
    );
    expect(row).toMatchObject({ status: 'failed', attempts: 1, lastError: 'smtp-refused' });
    expect((await h.issuer.notifications.runOnce()).failed).toBe(0);
    expect(sink.received.length).toBe(before);
    const audit = (await h.issuer.storage.listAudit(0, 1000)).filter(
      (r) => r.event === 'notification' && r.code === 'smtp-refused',
    );
    expect(audit).toHaveLength(1);
  }, 60_000);
});

describe('notifications: language', () => {
  it("in the tenant's language: a Dutch tenant's notice is Dutch, with Content-Language nl", async () => {
    // The running sender stops and hands its lease back; a sender for a Dutch tenant takes over on the same database.
    await h.issuer.notifications.stop();
    const before = sink.received.length;
    await enrollPhone('nl-holder@agency.example');
    const offset = 70_000 + 301_000;
    const dutch = startNotifications({
      storage: h.issuer.storage,
      config: { ...h.issuer.config, notifications: { ...h.issuer.config.notifications, language: 'nl' } },
      now: () => new Date(Date.now() + offset),
      directory: null,
      warn: () => undefined,
      transport:
        h.issuer.config.notifications.smtp === undefined
          ? null
          : createMailTransport(h.issuer.config.notifications.smtp),
    });
    try {
      expect(await dutch.runOnce()).toMatchObject({ leaseHeld: true, sent: 1 });
    } finally {
      await dutch.stop();
    }
    const [mail] = sink.received.slice(before) as [ReceivedMail];
    expect(mail.headers.get('content-language')).toBe('nl');
    expect(mail.headers.get('subject')).toBe(
      'Er is een nieuwe afgeleide PIV-credential aan u uitgegeven (Example Agency Issuer)',
    );
    expect(decodedBody(mail)).toContain('Hebt u geen telefoon aangemeld?');
  }, 60_000);
});

describe('notifications: renewal-due', () => {
  it('at 80% of the lifetime the holder is told once, across runs and restarts', async () => {
    const before = sink.received.length;
    expect((await h.issuer.notifications.runOnce()).queuedRenewals).toBe(0);
    // 80% of a 365-day credential is 292 days: one day short, nothing; a day past, every credential so far.
    h.advanceClock(291 * DAY_MS);
    expect((await h.issuer.notifications.runOnce()).queuedRenewals).toBe(0);
    h.advanceClock(2 * DAY_MS);
    const run = await h.issuer.notifications.runOnce();
    expect(run.queuedRenewals).toBe(7);
    // The card without an address and the refused mailbox get their renewal notices given up too; five are sent.
    expect(run).toMatchObject({ sent: 5, failed: 2 });
    const renewals = sink.received.slice(before);
    expect(renewals.map((mail) => mail.headers.get('subject'))).toEqual(
      Array(5).fill('Your derived PIV credential is due for renewal (Example Agency Issuer)'),
    );
    // A restarted process (a new sender on the same database) queues and sends nothing again.
    // Three hours on, so the first sender's lease (two hours) has lapsed; the credentials are still valid.
    const restartedOffset = 70_000 + 301_000 + 293 * DAY_MS + 3 * 3_600_000;
    const restarted = startNotifications({
      storage: h.issuer.storage,
      config: h.issuer.config,
      now: () => new Date(Date.now() + restartedOffset),
      directory: null,
      transport:
        h.issuer.config.notifications.smtp === undefined
          ? null
          : createMailTransport(h.issuer.config.notifications.smtp),
      warn: () => undefined,
    });
    try {
      expect(await restarted.runOnce()).toMatchObject({ leaseHeld: true, queuedRenewals: 0, sent: 0 });
    } finally {
      await restarted.stop();
    }
    expect(sink.received.length - before).toBe(5);
  }, 60_000);
});

describe('notifications: secrets', () => {
  it('no message carries an OTP, user or device code, token or the card key used in the flows', () => {
    expect(sink.received.length).toBeGreaterThanOrEqual(10);
    expect(secrets.length).toBeGreaterThanOrEqual(42);
    for (const mail of sink.received) {
      const everything = `${mail.raw}\n${decodedBody(mail)}`;
      for (const secret of secrets) expect(everything).not.toContain(secret);
    }
  });
});

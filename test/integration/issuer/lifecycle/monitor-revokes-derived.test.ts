// Issue 10 §4's end-to-end promise through the real wiring (no stand-in for the lifecycle): the test PKI publishes
// its CRL over HTTP, the card's certificate is revoked there, one monitor run later the derived certificate is in
// the issuer's CRL (openssl verify -crl_check) and OCSP says revoked (openssl ocsp), reason privilegeWithdrawn, and
// the holder got one email about it (a real SMTP server). Under the tenant policy `flag` (set with the admin
// function on the running issuer) the credential stays good, and the holder gets one email about the card instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCrl, startRevocationServer, type RevocationServer } from '../../../../virtual-card/revocation.ts';
import { changeTenantSettings } from '../../../../issuer/lifecycle/tenant-settings.ts';
import { startHarness, type IssuerHarness } from '../issuer-fixture.ts';
import { startSmtpSink, type SmtpSink } from '../notifications/smtp-sink.ts';
import { issueCredential, opensslOcsp, opensslVerify, relyingPartyFiles } from './lifecycle-fixture.ts';

let h: IssuerHarness;
let cardCrl: RevocationServer;
let dataDir: string;
let sink: SmtpSink;
const ADMIN = { kind: 'admin', id: 'test admin' } as const;

beforeAll(async () => {
  cardCrl = await startRevocationServer();
  sink = await startSmtpSink();
  dataDir = mkdtempSync(join(tmpdir(), 'dck-monitor-lifecycle-'));
  h = await startHarness({
    dataDir,
    tenantSettings: { notificationTypes: 'email' },
    config: {
      pivTrust: { crlFiles: [join(dataDir, 'root.crl')], crlUrls: [cardCrl.crlUrl], revocationFreshnessSeconds: 1 },
      eligibility: {
        firstCheckAfterSeconds: 0,
        intervalSeconds: 1,
        unknownRetrySeconds: 1,
        onCardRevoked: 'revoke-derived',
        tickSeconds: 86400,
      },
      notifications: {
        from: 'issuer@issuer.example',
        sendIntervalSeconds: 3600,
        smtp: { host: '127.0.0.1', port: sink.port, tls: 'none', timeoutSeconds: 5 },
      },
    },
  });
  cardCrl.setCrl(await buildCrl({ issuer: h.pki.intermediate, nextUpdate: new Date(Date.now() + 86_400_000) }));
});
afterAll(async () => {
  await h.close();
  await cardCrl.close();
  await sink.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('card revoked → derived credential revoked, as relying parties see it', { timeout: 120_000 }, () => {
  it("one monitor run after the card is on its CA's CRL, the derived certificate is in the issuer's CRL and OCSP says revoked", async () => {
    const card = await h.pki.issueCardCertificate({
      keyAlgorithm: 'P-256',
      commonName: 'Monitor Holder',
      email: 'holder@agency.example',
    });
    const credential = await issueCredential(h, { card });
    const before = await relyingPartyFiles(h);
    expect(await opensslVerify(before.caFile, before.crlFile, credential.certificateFile)).toMatchObject({ ok: true });

    cardCrl.setCrl(
      await buildCrl({
        issuer: h.pki.intermediate,
        revokedSerials: [card.certificate.serialNumber],
        nextUpdate: new Date(Date.now() + 86_400_000),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the card CRL's freshness (1 s) has passed
    expect(await h.issuer.cardMonitor.runOnce()).toMatchObject({ revoked: 1, actionsDone: 1, actionsFailed: 0 });

    const after = await relyingPartyFiles(h);
    expect((await opensslVerify(after.caFile, after.crlFile, credential.certificateFile)).output).toMatch(
      /certificate revoked/,
    );
    expect(await opensslOcsp(h, after.caFile, credential.certificateFile)).toMatch(
      /Cert Status: revoked\n.*\n\s*Revocation Reason: .*\(0x9\)/,
    ); // privilegeWithdrawn, which OpenSSL 3.0 prints as (UNKNOWN)
    const audit = await h.issuer.storage.listAudit(0, 10_000);
    const revocations = audit.filter((row) => row.event === 'credential-revoke');
    expect(
      revocations.map((row) => [row.code, row.details.serialNumberHex, row.details.actorKind, row.details.actor]),
    ).toEqual([['privilegeWithdrawn', credential.serialNumberHex, 'monitor', 'eligibility-monitor']]);

    // The holder is told: the issuance notice and exactly one revocation notice, both sent to the card's address.
    expect(await h.issuer.notifications.runOnce()).toMatchObject({ sent: 2, retried: 0, failed: 0 });
    // Subjects end with the tenant's display name in brackets.
    expect(
      sink.received.map((mail) => [mail.envelopeTo, mail.headers.get('subject')?.replace(/ \(.*\)$/, '')]),
    ).toEqual([
      [['holder@agency.example'], 'A new derived PIV credential was issued to you'],
      [['holder@agency.example'], 'Your derived PIV credential was revoked'],
    ]);
    expect(sink.received[1]?.body.replace(/=\r?\n/g, '')).toContain(credential.serialNumberHex); // quoted-printable soft breaks undone
  });

  it('policy flag: the derived certificate stays good, the holder is told once about the card, the audit names it', async () => {
    await changeTenantSettings(h.issuer.storage, h.issuer.config, { onCardRevoked: 'flag' }, ADMIN, new Date());
    const card = await h.pki.issueCardCertificate({
      keyAlgorithm: 'P-256',
      commonName: 'Flagged Holder',
      email: 'flagged@agency.example',
    });
    const credential = await issueCredential(h, { card });
    const before = sink.received.length;
    cardCrl.setCrl(
      await buildCrl({
        issuer: h.pki.intermediate,
        revokedSerials: [card.certificate.serialNumber],
        nextUpdate: new Date(Date.now() + 86_400_000),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      expect(await h.issuer.cardMonitor.runOnce()).toMatchObject({ revoked: 1, actionsDone: 1, actionsFailed: 0 });
      await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    // The administrator is told in the log: one line for the run, with what to do.
    expect(warnings.filter((line) => line.includes('flagged'))).toEqual([
      expect.stringMatching(/^card monitor: 1 card\(s\) found revoked and flagged .*dck admin credentials revoke/),
    ]);
    // A second run neither acts again nor queues a second notice.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await h.issuer.cardMonitor.runOnce()).toMatchObject({ revoked: 0, actionsDone: 0 });

    const files = await relyingPartyFiles(h);
    expect(await opensslVerify(files.caFile, files.crlFile, credential.certificateFile)).toMatchObject({ ok: true });
    expect(await opensslOcsp(h, files.caFile, credential.certificateFile)).toMatch(/Cert Status: good/);

    expect(await h.issuer.notifications.runOnce()).toMatchObject({ sent: 2, retried: 0, failed: 0 });
    const mails = sink.received.slice(before);
    expect(mails.map((mail) => [mail.envelopeTo, mail.headers.get('subject')?.replace(/ \(.*\)$/, '')])).toEqual([
      [['flagged@agency.example'], 'A new derived PIV credential was issued to you'],
      [['flagged@agency.example'], 'Your PIV card was reported revoked'],
    ]);
    expect(mails[1]?.body.replace(/=\r?\n/g, '')).toContain('contact your help desk now');

    const audit = await h.issuer.storage.listAudit(0, 10_000);
    const cardId = (await h.issuer.storage.findDerivedCertificate(credential.serialNumberHex))?.cardId;
    const aboutCard = audit.filter((row) => row.details.cardId === cardId && row.event.startsWith('card-eligibility'));
    expect(aboutCard.map((row) => [row.event, row.code])).toEqual([
      ['card-eligibility', 'card-revoked'],
      ['card-eligibility', 'holder-notice-queued'],
      ['card-eligibility-action', 'flag'],
    ]);
    expect(
      audit.filter(
        (row) => row.event === 'credential-revoke' && row.details.serialNumberHex === credential.serialNumberHex,
      ),
    ).toEqual([]);
  });
});

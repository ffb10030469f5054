// The card monitor (issuer/eligibility/) through a real issuer on loopback with a real SQLite file: the test PKI's
// issuing CA publishes its CRL over HTTP; a card that got a derived certificate is revoked on that CRL; one monitor
// run later the tenant's policy was applied once for that card, and recorded (the policy is the tenant setting; the
// config only seeds it). Hostile CRLs (garbage, too large,
// expired, signed by the wrong key) and an OCSP responder that hangs each leave the card `unknown`: flagged (audit
// row, log line), nothing revoked.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCrl, startRevocationServer, type RevocationServer } from '../../../../virtual-card/revocation.ts';
import type { IssuedCardCertificate } from '../../../../virtual-card/test-pki.ts';
import { buildLargeCrl } from '../../../../bench/large-crl.ts';
import type { CardEligibilityRecord } from '../../../../issuer/storage/issuer-storage.ts';
import type { RevokeAllForCard } from '../../../../issuer/eligibility/card-revoked-action.ts';
import { changeTenantSettings } from '../../../../issuer/lifecycle/tenant-settings.ts';
import { makeCsr, redeem, startHarness, upToRedeem, type IssuerHarness } from '../issuer-fixture.ts';

const MAX_CRL_BYTES = 64 * 1024;
/** The freshness and the interval the tests set (1 s): a CRL is fetched again, and a card due again, after this pause. */
const FRESHNESS_PAUSE_MS = 1_100;

/**
 * An OCSP responder that answers 404 (no OCSP: sign-in relies on the CRL) until told to hang, then never answers
 * (the issuer's bounded fetch gives up after its time-out).
 */
async function startHangingResponder(): Promise<{ url: string; hang(): void; close(): Promise<void> }> {
  let hanging = false;
  const server: Server = createServer((_request, response) => {
    if (hanging) return;
    response.statusCode = 404;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ocsp`,
    hang: () => {
      hanging = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface MonitorHarness {
  h: IssuerHarness;
  crl: RevocationServer;
  revokeAllForCard: ReturnType<typeof vi.fn<RevokeAllForCard>>;
  warnings: string[];
  close(): Promise<void>;
}

async function startMonitorHarness(
  policy: 'revoke-derived' | 'flag',
  ocspUrl: string | null = null,
): Promise<MonitorHarness> {
  const crl = await startRevocationServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'dck-monitor-test-'));
  const revokeAllForCard = vi.fn<RevokeAllForCard>(() => Promise.resolve(undefined));
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning.message);
  };
  process.on('warning', onWarning);
  // The card's CRL comes only from the URL (the root's stays a file): what the monitor hears is what the test serves.
  const h = await startHarness({
    dataDir,
    revokeAllForCard,
    config: {
      pivTrust: {
        crlFiles: [join(dataDir, 'root.crl')],
        crlUrls: [crl.crlUrl],
        ocspUrl,
        revocationFreshnessSeconds: 1,
        maxCrlBytes: MAX_CRL_BYTES,
      },
      eligibility: {
        firstCheckAfterSeconds: 0,
        intervalSeconds: 1,
        unknownRetrySeconds: 1,
        onCardRevoked: policy,
        tickSeconds: 86400,
      },
    },
  });
  crl.setCrl(await buildCrl({ issuer: h.pki.intermediate, nextUpdate: new Date(Date.now() + 86_400_000) }));
  return {
    h,
    crl,
    revokeAllForCard,
    warnings,
    close: async () => {
      process.off('warning', onWarning);
      await h.close();
      await crl.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A card with one derived certificate issued: a linked card. */
async function linkedCard(h: IssuerHarness): Promise<IssuedCardCertificate> {
  const card = await h.card();
  const { code, accessToken } = await upToRedeem(h, card);
  const issued = await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
  if (issued.status !== 200) throw new Error(`redeem failed: ${issued.text}`);
  return card;
}

async function eligibilityOf(h: IssuerHarness, card: IssuedCardCertificate): Promise<CardEligibilityRecord | null> {
  const linked = await h.issuer.storage.listLinkedCards('', 10_000, Date.now());
  const found = linked.find((entry) => entry.card.serialNumberHex === card.certificate.serialNumber);
  if (found === undefined) throw new Error('the card is not linked');
  return found.eligibility;
}

async function pause(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

describe('card monitor, policy revoke-derived', () => {
  let m: MonitorHarness;
  beforeAll(async () => {
    m = await startMonitorHarness('revoke-derived');
  });
  afterAll(async () => {
    await m.close();
  });

  it("a card on its CA's CRL: one run later every derived credential of that card is revoked, once", async () => {
    const { h, crl } = m;
    const kept = await linkedCard(h);
    const revoked = await linkedCard(h);
    const first = await h.issuer.cardMonitor.runOnce();
    expect(first).toMatchObject({ leaseHeld: true, revoked: 0, unknown: 0 });
    expect(first.good).toBeGreaterThanOrEqual(2);
    expect((await eligibilityOf(h, kept))?.verdict).toBe('good');

    crl.setCrl(
      await buildCrl({
        issuer: h.pki.intermediate,
        revokedSerials: [revoked.certificate.serialNumber],
        nextUpdate: new Date(Date.now() + 86_400_000),
      }),
    );
    await pause(FRESHNESS_PAUSE_MS); // the CRL's freshness, and the schedule's interval (1 s here), have passed
    const second = await h.issuer.cardMonitor.runOnce();
    expect(second).toMatchObject({ revoked: 1, unknown: 0, actionsDone: 1, actionsFailed: 0 });
    const revokedCardId = (await h.issuer.storage.listLinkedCards('', 100, Date.now())).find(
      (entry) => entry.card.serialNumberHex === revoked.certificate.serialNumber,
    )?.card.id;
    expect(m.revokeAllForCard).toHaveBeenCalledTimes(1);
    expect(m.revokeAllForCard).toHaveBeenCalledWith(revokedCardId, 'privilegeWithdrawn', 'eligibility-monitor');
    expect(await eligibilityOf(h, revoked)).toMatchObject({ verdict: 'revoked', nextCheckAt: null });
    expect((await eligibilityOf(h, revoked))?.actionDoneAt).not.toBeNull();
    expect((await eligibilityOf(h, kept))?.verdict).toBe('good');

    // The next runs (and a restart would read the same rows) leave it alone.
    await pause(FRESHNESS_PAUSE_MS);
    await h.issuer.cardMonitor.runOnce();
    expect(m.revokeAllForCard).toHaveBeenCalledTimes(1);
    const audit = await h.issuer.storage.listAudit(0, 10_000);
    expect(audit.filter((row) => row.event === 'card-eligibility' && row.code === 'card-revoked')).toHaveLength(1);
    expect(audit.filter((row) => row.event === 'card-revoked' && row.details.step === 'eligibility')).toHaveLength(1);
  });

  it('an action that fails is not recorded done, and is applied on a later run', async () => {
    const { h, crl } = m;
    const card = await linkedCard(h);
    crl.setCrl(
      await buildCrl({
        issuer: h.pki.intermediate,
        revokedSerials: [card.certificate.serialNumber],
        nextUpdate: new Date(Date.now() + 86_400_000),
      }),
    );
    await pause(FRESHNESS_PAUSE_MS);
    m.revokeAllForCard.mockClear();
    m.revokeAllForCard.mockRejectedValueOnce(new Error('lifecycle store down'));
    const failed = await h.issuer.cardMonitor.runOnce();
    expect(failed).toMatchObject({ revoked: 1, actionsFailed: 1, actionsDone: 0 });
    expect((await eligibilityOf(h, card))?.actionDoneAt).toBeNull();
    // process.emitWarning reports on the next tick.
    await vi.waitFor(() => {
      expect(m.warnings.some((warning) => warning.includes('lifecycle store down'))).toBe(true);
    });
    const retried = await h.issuer.cardMonitor.runOnce();
    expect(retried).toMatchObject({ revoked: 0, actionsDone: 1 });
    expect(m.revokeAllForCard).toHaveBeenCalledTimes(2);
    expect((await eligibilityOf(h, card))?.actionDoneAt).not.toBeNull();
  });

  describe('hostile CRLs: the card is unknown and flagged, nothing revoked', () => {
    const cases: Array<[string, (h: IssuerHarness, card: IssuedCardCertificate) => Promise<Uint8Array>, RegExp]> = [
      ['garbage', () => Promise.resolve(new Uint8Array(randomBytes(2048))), /not a DER CRL/],
      [
        'too large',
        (h, card) =>
          Promise.resolve(
            buildLargeCrl({
              issuer: h.pki.intermediate,
              thisUpdate: new Date(Date.now() - 60_000),
              nextUpdate: new Date(Date.now() + 86_400_000),
              serials: [
                Buffer.from(card.certificate.serialNumber, 'hex'),
                ...Array.from({ length: 3000 }, () => webcrypto.getRandomValues(new Uint8Array(16))),
              ],
            }),
          ),
        /more than the 65536 (bytes )?allowed/,
      ],
      [
        'expired',
        (h, card) =>
          buildCrl({
            issuer: h.pki.intermediate,
            revokedSerials: [card.certificate.serialNumber],
            thisUpdate: new Date(Date.now() - 2 * 86_400_000),
            nextUpdate: new Date(Date.now() - 86_400_000),
          }),
        /stale|not current|nextUpdate/,
      ],
      [
        'signed by the wrong key',
        (h, card) =>
          buildCrl({
            issuer: h.pki.intermediate,
            signingKey: h.pki.root.keys.privateKey,
            revokedSerials: [card.certificate.serialNumber],
            nextUpdate: new Date(Date.now() + 86_400_000),
          }),
        /not signed by/,
      ],
    ];

    it.each(cases)('%s', async (_name, hostileCrl, reason) => {
      const { h, crl } = m;
      const card = await linkedCard(h);
      crl.setCrl(await hostileCrl(h, card));
      await pause(FRESHNESS_PAUSE_MS);
      try {
        m.revokeAllForCard.mockClear();
        const auditBefore = (await h.issuer.storage.listAudit(0, 100_000)).length;
        const run = await h.issuer.cardMonitor.runOnce();
        expect(run.revoked).toBe(0);
        expect(run.unknown).toBeGreaterThanOrEqual(1);
        expect(m.revokeAllForCard).not.toHaveBeenCalled();
        const eligibility = await eligibilityOf(h, card);
        expect(eligibility?.verdict).toBe('unknown');
        expect(eligibility?.detail).toMatch(reason);
        const flagged = (await h.issuer.storage.listAudit(0, 100_000))
          .slice(auditBefore)
          .filter((row) => row.event === 'card-eligibility' && row.code === 'revocation-unavailable');
        expect(flagged).toHaveLength(1);
        await vi.waitFor(() => {
          expect(m.warnings.some((warning) => warning.includes('without a current revocation answer'))).toBe(true);
        });
      } finally {
        // A good CRL again (also for the next case's sign-in).
        crl.setCrl(await buildCrl({ issuer: h.pki.intermediate, nextUpdate: new Date(Date.now() + 86_400_000) }));
        await pause(FRESHNESS_PAUSE_MS);
      }
      // The card is good again, and was never revoked.
      await h.issuer.cardMonitor.runOnce();
      expect((await eligibilityOf(h, card))?.verdict).toBe('good');
      expect(m.revokeAllForCard).not.toHaveBeenCalled();
    });
  });
});

describe('card monitor, policy flag', () => {
  let m: MonitorHarness;
  beforeAll(async () => {
    m = await startMonitorHarness('flag');
  });
  afterAll(async () => {
    await m.close();
  });

  it('a revoked card is recorded and audited, its derived credentials are not revoked', async () => {
    const { h, crl } = m;
    const card = await linkedCard(h);
    crl.setCrl(
      await buildCrl({
        issuer: h.pki.intermediate,
        revokedSerials: [card.certificate.serialNumber],
        nextUpdate: new Date(Date.now() + 86_400_000),
      }),
    );
    await pause(FRESHNESS_PAUSE_MS);
    const run = await h.issuer.cardMonitor.runOnce();
    expect(run).toMatchObject({ revoked: 1, actionsDone: 1 });
    expect(m.revokeAllForCard).not.toHaveBeenCalled();
    expect(await eligibilityOf(h, card)).toMatchObject({ verdict: 'revoked' });
    const audit = await h.issuer.storage.listAudit(0, 10_000);
    expect(
      audit.filter(
        (row) => row.event === 'card-eligibility' && row.code === 'card-revoked' && row.details.policy === 'flag',
      ),
    ).toHaveLength(1);
    expect(audit.filter((row) => row.event === 'card-eligibility-action' && row.code === 'flag')).toHaveLength(1);
  });
});

describe('card monitor, the tenant setting onCardRevoked', () => {
  let m: MonitorHarness;
  beforeAll(async () => {
    m = await startMonitorHarness('flag');
  });
  afterAll(async () => {
    await m.close();
  });

  it("is the one source of the policy: set to revoke-derived (as dck admin tenant set does), it overrides the config's flag", async () => {
    const { h, crl } = m;
    const card = await linkedCard(h);
    await changeTenantSettings(
      h.issuer.storage,
      h.issuer.config,
      { onCardRevoked: 'revoke-derived' },
      { kind: 'admin', id: 'alice' },
      new Date(),
    );
    crl.setCrl(
      await buildCrl({
        issuer: h.pki.intermediate,
        revokedSerials: [card.certificate.serialNumber],
        nextUpdate: new Date(Date.now() + 86_400_000),
      }),
    );
    await pause(FRESHNESS_PAUSE_MS);
    expect(await h.issuer.cardMonitor.runOnce()).toMatchObject({ revoked: 1, actionsDone: 1 });
    expect(m.revokeAllForCard).toHaveBeenCalledTimes(1);
    const audit = await h.issuer.storage.listAudit(0, 10_000);
    expect(
      audit.filter(
        (row) =>
          row.event === 'card-eligibility' && row.code === 'card-revoked' && row.details.policy === 'revoke-derived',
      ),
    ).toHaveLength(1);
    expect(
      audit.filter((row) => row.event === 'card-eligibility-action' && row.code === 'revoke-derived'),
    ).toHaveLength(1);
  });
});

describe('card monitor, an OCSP responder that hangs', () => {
  let m: MonitorHarness;
  let responder: Awaited<ReturnType<typeof startHangingResponder>>;
  beforeAll(async () => {
    responder = await startHangingResponder();
    m = await startMonitorHarness('revoke-derived', responder.url);
  });
  afterAll(async () => {
    await m.close();
    await responder.close();
  });

  it('with no CRL to answer, the card is unknown after the time-out, and the responder is asked once per run', async () => {
    const { h, crl } = m;
    const first = await linkedCard(h);
    const second = await linkedCard(h);
    crl.setCrl(null); // the CRL URL answers 404 from now on
    responder.hang();
    await pause(FRESHNESS_PAUSE_MS);
    const run = await h.issuer.cardMonitor.runOnce();
    expect(run).toMatchObject({ revoked: 0, unknown: 2 });
    expect(m.revokeAllForCard).not.toHaveBeenCalled();
    // Cards are checked in id order: whichever came first waited for the time-out, the other was not sent.
    const details = [(await eligibilityOf(h, first))?.detail ?? '', (await eligibilityOf(h, second))?.detail ?? ''];
    expect(
      details.filter((detail) => /OCSP .* no answer within 5000 ms/.test(detail) && !/not asked again/.test(detail)),
    ).toHaveLength(1);
    expect(details.filter((detail) => /OCSP not asked again this run/.test(detail))).toHaveLength(1);
  }, 30_000);
});

// Keeping the disk bounded, through a real issuer and its SQLite file: the limits on unauthenticated routes (per
// address and for the whole service), the purge of expired rows (and what it must keep), the audit retention
// (exported before dropped; the log refuses any other deletion), and one maintenance process at a time.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUER_API } from '../../../../contracts/issuer-routes.ts';
import { parseIssuerConfig } from '../../../../issuer/config.ts';
import { startIssuer } from '../../../../issuer/start-issuer.ts';
import { challenge, makeCsr, phoneStart, redeem, startHarness, upToRedeem } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';

const DAY_MS = 86_400_000;

describe('issuer: unauthenticated routes are limited', () => {
  it('defaults fit real use: 30 a minute per address, 300 for the whole service', () => {
    const { rateLimits } = parseIssuerConfig({});
    expect(rateLimits.unauthenticatedPerAddressPerMinute).toBe(30);
    expect(rateLimits.unauthenticatedServicePerMinute).toBe(300);
  });

  it('per address: device authorizations and challenges share the allowance, then 429', async () => {
    const h = await startHarness({
      config: { rateLimits: { unauthenticatedPerAddressPerMinute: 4, unauthenticatedServicePerMinute: 1000 } },
    });
    try {
      await phoneStart(h.http);
      await phoneStart(h.http);
      await challenge(h.http);
      await challenge(h.http);
      const device = await h.http.send('POST', ISSUER_API.deviceAuthorization.path, {
        form: { client_id: 'dck-phone' },
      });
      expect(device.status).toBe(429);
      expect(device.body.error).toBe('rate_limited');
      expect((await h.http.send('POST', ISSUER_API.pkiAuthChallenge.path, { json: {} })).status).toBe(429);
      // Nothing was written for the refused requests.
      const db = new Database(`${h.dataDir}/issuer.sqlite`, { readonly: true });
      try {
        expect((db.prepare('SELECT COUNT(*) AS n FROM device_authorizations').get() as { n: number }).n).toBe(2);
        expect((db.prepare('SELECT COUNT(*) AS n FROM challenges').get() as { n: number }).n).toBe(2);
      } finally {
        db.close();
      }
      // Authenticated and read-only routes keep working.
      expect((await h.http.send('GET', ISSUER_API.metadata.path)).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('service-wide: the whole service stops creating rows at its limit', async () => {
    const h = await startHarness({
      config: { rateLimits: { unauthenticatedPerAddressPerMinute: 1000, unauthenticatedServicePerMinute: 3 } },
    });
    try {
      for (let i = 0; i < 3; i += 1) await phoneStart(h.http);
      expect((await h.http.send('POST', ISSUER_API.pkiAuthChallenge.path, { json: {} })).status).toBe(429);
    } finally {
      await h.close();
    }
  });
});

describe('issuer: maintenance', () => {
  let h: IssuerHarness;
  beforeAll(async () => {
    h = await startHarness({
      config: { maintenance: { purgeIntervalSeconds: 86400, expiredRowGraceSeconds: 0 }, audit: { retentionDays: 1 } },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  const count = (sql: string): number => {
    const db = new Database(`${h.dataDir}/issuer.sqlite`, { readonly: true });
    try {
      return (db.prepare(sql).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('purges what expired, keeps what an issued certificate refers to', async () => {
    const completed = await upToRedeem(h);
    expect(
      (await redeem(h.http, completed.accessToken, completed.code.enrollmentId, completed.code.otp, await makeCsr()))
        .status,
    ).toBe(200);
    const abandoned = await upToRedeem(h);
    for (let i = 0; i < 5; i += 1) {
      await phoneStart(h.http);
      await challenge(h.http);
    }
    const before = {
      devices: count('SELECT COUNT(*) AS n FROM device_authorizations'),
      challenges: count('SELECT COUNT(*) AS n FROM challenges'),
    };
    // Nothing has expired yet: nothing goes.
    expect((await h.issuer.maintenance.runOnce()).purged).toEqual({
      challenges: 0,
      deviceAuthorizations: 0,
      kioskSessions: 0,
      enrollments: 0,
    });

    h.advanceClock(3600_000 + 1000);
    const run = await h.issuer.maintenance.runOnce();
    expect(run.leaseHeld).toBe(true);
    expect(run.purged.challenges).toBe(before.challenges);
    expect(run.purged.enrollments).toBe(1);
    expect(run.purged.deviceAuthorizations).toBe(before.devices - 1);
    expect(run.purged.kioskSessions).toBe(1);
    expect(count('SELECT COUNT(*) AS n FROM challenges')).toBe(0);
    expect(await h.issuer.storage.findEnrollment(abandoned.code.enrollmentId)).toBeNull();
    // The issued certificate's enrollment, device authorization and session stay.
    expect((await h.issuer.storage.findEnrollment(completed.code.enrollmentId))?.status).toBe('completed');
    expect(count('SELECT COUNT(*) AS n FROM device_authorizations')).toBe(1);
    expect(count('SELECT COUNT(*) AS n FROM kiosk_sessions')).toBe(1);
    expect(count('SELECT COUNT(*) AS n FROM derived_certificates')).toBe(1);
    const audit = await h.issuer.storage.listAudit(0, 100_000);
    expect(audit.filter((row) => row.event === 'purge')).toHaveLength(1);
  });

  it('exports audit rows past the retention to a file before dropping them; nothing else can drop a row', async () => {
    const oldest = await h.issuer.storage.listAudit(0, 100_000);
    h.advanceClock(2 * DAY_MS);
    await h.issuer.storage.appendAudit({
      at: Date.now() + 10 * DAY_MS,
      event: 'test-marker',
      outcome: 'success',
      code: null,
      details: {},
    });
    const run = await h.issuer.maintenance.runOnce();
    expect(run.retention?.exportedRows).toBe(oldest.length);
    const [file] = run.retention?.files ?? [];
    expect(file).toBeDefined();
    const content = readFileSync(file ?? '');
    const exported = content
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { sequence: number; event: string });
    expect(exported.map((row) => row.sequence)).toEqual(oldest.map((row) => row.sequence));
    const left = await h.issuer.storage.listAudit(0, 100_000);
    expect(left.some((row) => row.sequence <= (oldest.at(-1)?.sequence ?? 0))).toBe(false);
    const retention = left.find((row) => row.event === 'audit-retention');
    expect(retention?.details.sha256).toBe(createHash('sha256').update(content).digest('hex'));

    const db = new Database(`${h.dataDir}/issuer.sqlite`);
    try {
      expect(() => db.prepare('DELETE FROM audit_log WHERE event = ?').run('test-marker')).toThrow(/append-only/);
      expect(() => db.prepare('UPDATE audit_log SET code = ? WHERE event = ?').run('x', 'test-marker')).toThrow(
        /append-only/,
      );
      expect(() => db.prepare('DELETE FROM audit_exports').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('runs in one process at a time: a second issuer on the same database waits for the lease', async () => {
    const second = await startIssuer({
      dataDir: h.dataDir,
      port: 0,
      config: h.issuer.config,
      trustAnchorsDer: [h.pki.root.der],
    });
    try {
      expect((await h.issuer.maintenance.runOnce()).leaseHeld).toBe(true);
      expect((await second.maintenance.runOnce()).leaseHeld).toBe(false);
    } finally {
      await second.close();
    }
  });
});

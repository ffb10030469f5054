// `bench:issuer --prefill N` (bench/issuer-prefill.ts) on a real issuer: one enrollment completed through the HTTP
// API, then N copies written straight into the database. Each copy is a complete, consistent enrollment (its own
// card, session, device authorization, derived certificate; every reference resolves to the copy's own rows), the
// audit log still verifies with the copies' rows chained in, and the issuer goes on enrolling afterwards (no
// collision with a copied id, serial or hash). The same on PostgreSQL: issuer-prefill.postgres.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../issuer/audit/verify-audit-log.ts';
import { MAX_PREFILL, checkPrefillCount, prefillEnrollments } from '../../bench/issuer-prefill.ts';
import type { PrefillTarget } from '../../bench/issuer-prefill.ts';
import { harnessSql, makeCsr, redeem, startHarness, upToRedeem } from '../integration/issuer/issuer-fixture.ts';
import type { IssuerHarness } from '../integration/issuer/issuer-fixture.ts';
import { currentStorageKind } from '../integration/issuer/storage/storage-kinds.ts';
import { sharedPostgres } from '../integration/issuer/storage/postgres-server.ts';

const COPIES = 40;

let harness: IssuerHarness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

/** A harness on the test file's storage kind, and where the prefill writes to reach the same database. */
async function start(): Promise<{ h: IssuerHarness; target: (dataDir: string) => PrefillTarget }> {
  if (currentStorageKind() === 'sqlite') {
    harness = await startHarness();
    return { h: harness, target: (dataDir) => ({ kind: 'sqlite', dataDir }) };
  }
  const settings = await (await sharedPostgres()).createDatabase();
  harness = await startHarness({
    config: { storage: { kind: 'postgres', url: settings.url, poolSize: settings.poolSize, tls: null } },
  });
  return { h: harness, target: () => ({ kind: 'postgres', settings }) };
}

async function enrollOnce(h: IssuerHarness): Promise<void> {
  const { code, accessToken } = await upToRedeem(h);
  const answer = await redeem(h.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
  expect(answer.status).toBe(200);
}

const count = async (h: IssuerHarness, sql: string): Promise<number> =>
  Number((await harnessSql(h, sql))[0]?.n ?? Number.NaN);

describe('bench:issuer --prefill', () => {
  it('writes N complete enrollments that reference their own rows, and the audit log still verifies', async () => {
    const { h, target } = await start();
    await enrollOnce(h);
    const auditBefore = await count(h, 'SELECT COUNT(*) AS n FROM audit_log');

    // Three transactions (16 + 16 + 8), each its own audit chain.
    const written = await prefillEnrollments(target(h.dataDir), COPIES, () => undefined, 16);

    expect(written.enrollments).toBe(COPIES);
    // device-authorization, pki-auth, pairing-shown, approve, token, redeem: not the issuer's start rows.
    expect(written.auditRows).toBe(COPIES * 6);
    expect(await count(h, 'SELECT COUNT(*) AS n FROM audit_log')).toBe(auditBefore + COPIES * 6);
    expect(await count(h, "SELECT COUNT(*) AS n FROM enrollments WHERE status = 'completed'")).toBe(COPIES + 1);
    for (const table of ['cards', 'kiosk_sessions', 'device_authorizations', 'derived_certificates'])
      expect(await count(h, `SELECT COUNT(*) AS n FROM ${table}`), table).toBe(COPIES + 1);
    // Every copy's references lead to its own rows: one card, session, device authorization and certificate each.
    expect(
      await count(
        h,
        `SELECT COUNT(DISTINCT e.id) AS n FROM enrollments e
          JOIN cards c ON c.id = e.card_id
          JOIN kiosk_sessions s ON s.id = e.kiosk_session_id AND s.card_id = c.id
          JOIN device_authorizations d ON d.id = e.device_authorization_id AND d.enrollment_id = e.id AND d.card_id = c.id
          JOIN derived_certificates x ON x.serial_number_hex = e.derived_certificate_serial_hex
            AND x.enrollment_id = e.id AND x.card_id = c.id AND x.device_authorization_id = d.id`,
      ),
    ).toBe(COPIES + 1);
    expect(await count(h, 'SELECT COUNT(DISTINCT serial_number_hex) AS n FROM cards')).toBe(COPIES + 1);
    // Each copy's session and device authorization count their one enrollment (the purge's index, migration 13).
    for (const table of ['kiosk_sessions', 'device_authorizations'])
      expect(await count(h, `SELECT COUNT(*) AS n FROM ${table} WHERE enrollment_count = 1`), table).toBe(COPIES + 1);

    const verified = await verifyAuditLog(h.issuer.storage);
    expect(verified.firstBreak).toBeNull();
    expect(verified.rows).toBe(auditBefore + COPIES * 6);

    // The issuer goes on: a new enrollment completes beside the copies, and the log still verifies.
    await enrollOnce(h);
    expect(await count(h, "SELECT COUNT(*) AS n FROM enrollments WHERE status = 'completed'")).toBe(COPIES + 2);
    expect((await verifyAuditLog(h.issuer.storage)).firstBreak).toBeNull();
  });

  it('refuses a database with no completed enrollment to copy, writing nothing', async () => {
    const { h, target } = await start();
    await expect(prefillEnrollments(target(h.dataDir), 5)).rejects.toThrow(/no completed enrollment to copy/);
    expect(await count(h, 'SELECT COUNT(*) AS n FROM cards')).toBe(0);
  });

  it('bounds N with a clear message', () => {
    expect(checkPrefillCount(MAX_PREFILL)).toBe(MAX_PREFILL);
    expect(() => checkPrefillCount(MAX_PREFILL + 1)).toThrow(
      '--prefill must be a whole number of enrollments from 0 to 5,000,000',
    );
    expect(() => checkPrefillCount(-1)).toThrow(/--prefill must be a whole number/);
    expect(() => checkPrefillCount(1.5)).toThrow(/--prefill must be a whole number/);
  });
});

// The storage's "at most n" statements, on either store (batch-limits.postgres.test.ts runs them on PostgreSQL):
// a notification claim takes at most its limit, also when several senders claim at the same moment (on PostgreSQL
// `UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` once claimed every due row: postgres-outbox.ts),
// and one purge round deletes at most PURGE_BATCH_ROWS rows of a table, the rest in the next round.
import { describe, expect, it } from 'vitest';
import { PURGE_BATCH_ROWS } from '../../../../issuer/storage/issuer-storage.ts';
import type { AuditEntryInput } from '../../../../issuer/storage/issuer-storage.ts';
import { T0, seedCredential } from '../../../unit/issuer/lifecycle/seed-credentials.ts';
import { storagePerTest } from './storage-kinds.ts';

const LEASE_MS = 300_000;
const entry = (event: string): AuditEntryInput => ({ at: T0, event, outcome: 'success', code: null, details: {} });

const storage = storagePerTest('dck-batch-limits-');

/** `count` due notices about one credential's card. */
async function queueNotices(count: number): Promise<void> {
  const { serial, cardId } = await seedCredential(storage());
  for (let n = 0; n < count; n += 1)
    await storage().queueNotification(
      {
        id: `notice-${n}`,
        idempotencyKey: `credential-revoked:${serial}-${n}`,
        kind: 'credential-revoked',
        cardId,
        derivedSerialHex: serial,
        facts: {},
        createdAt: T0 + n,
      },
      entry('notification-queued'),
    );
}

describe('claimNotifications', () => {
  it('claims at most its limit: one, then three, each notice by one sender only', async () => {
    await queueNotices(8);
    const at = T0 + 60_000;
    expect(await storage().claimNotifications('sender-a', at, LEASE_MS, 1)).toHaveLength(1);
    expect(await storage().claimNotifications('sender-b', at, LEASE_MS, 3)).toHaveLength(3);
    expect(await storage().claimNotifications('sender-c', at, LEASE_MS, 10)).toHaveLength(4);
    expect(await storage().claimNotifications('sender-d', at, LEASE_MS, 10)).toEqual([]);
  });

  it('under concurrency: six senders claiming one each get at most one each, never the same notice', async () => {
    await queueNotices(12);
    const at = T0 + 60_000;
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, n) => storage().claimNotifications(`sender-${n}`, at, LEASE_MS, 1)),
    );
    for (const claim of claims) expect(claim.length).toBeLessThanOrEqual(1);
    const ids = claims.flat().map((notice) => notice.id);
    expect(new Set(ids).size).toBe(ids.length);
    // A sender whose claim found every row locked by the others may come back empty; none takes more than one.
    expect(ids.length).toBeGreaterThan(0);
    const rest = await Promise.all(
      Array.from({ length: 3 }, (_, n) => storage().claimNotifications(`later-${n}`, at, LEASE_MS, 2)),
    );
    for (const claim of rest) expect(claim.length).toBeLessThanOrEqual(2);
    const all = [...ids, ...rest.flat().map((notice) => notice.id)];
    expect(new Set(all).size).toBe(all.length);
    const claimed = (await storage().listNotifications(100)).filter((notice) => notice.claimedBy !== null);
    expect(claimed.map((notice) => notice.id).sort()).toEqual([...all].sort());
  });
});

describe('purgeExpired', () => {
  it(`deletes at most ${PURGE_BATCH_ROWS} rows of a table per round, the rest in the next`, async () => {
    const extra = 5;
    for (let n = 0; n < PURGE_BATCH_ROWS + extra; n += 1)
      await storage().insertChallenge({
        id: `old-${n}`,
        challenge: new Uint8Array(32),
        kioskId: null,
        createdAt: T0,
        expiresAt: T0 + 1,
        usedAt: null,
      });
    const cutoff = T0 + 60_000;
    expect((await storage().purgeExpired(cutoff, entry('purge'))).challenges).toBe(PURGE_BATCH_ROWS);
    expect((await storage().purgeExpired(cutoff, entry('purge'))).challenges).toBe(extra);
    expect((await storage().purgeExpired(cutoff, entry('purge'))).challenges).toBe(0);
    expect(await storage().findChallenge('old-0')).toBeNull();
  });
});

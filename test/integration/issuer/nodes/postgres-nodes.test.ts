// Two issuer nodes (two startIssuer on different ports, standing in for two machines) on one PostgreSQL database:
// a kiosk waiting on node A wakes when the phone redeems on node B, through LISTEN/NOTIFY alone (the periodic
// re-read is set to a minute here, so only the notification can wake it in time), also after the database restarted;
// an enrollment begun on one node is finished on the other; and both nodes' redeems of one enrollment give one
// certificate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnrollmentStatus } from '../../../../contracts/issuer-api.ts';
import { routePath } from '../../../../contracts/issuer-routes.ts';
import { EnrollmentEvents } from '../../../../issuer/enrollment-events.ts';
import { createTestPki } from '../../../../virtual-card/test-pki.ts';
import { makeCsr, redeem, startHarness, upToRedeem } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';
import { startPostgres } from '../storage/postgres-server.ts';
import type { PostgresServer } from '../storage/postgres-server.ts';

let server: PostgresServer;
let nodeA: IssuerHarness;
let nodeB: IssuerHarness;
let dataDir = '';

beforeAll(async () => {
  server = await startPostgres();
  const database = await server.createDatabase();
  const storage = { kind: 'postgres', url: database.url, poolSize: 10 };
  // Both nodes get the same CA and server secret (what an operator deploys to every node): one data dir here.
  dataDir = mkdtempSync(join(tmpdir(), 'dck-nodes-'));
  const pki = await createTestPki();
  const node = () =>
    startHarness({
      config: { storage, rateLimits: { codeGuessesPerMinute: 100_000 } },
      pki,
      dataDir,
      events: new EnrollmentEvents({ recheckMs: 60_000 }),
    });
  nodeA = await node();
  nodeB = await node();
});
afterAll(async () => {
  await nodeA.close();
  await nodeB.close();
  await server.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('two issuer nodes on one PostgreSQL database', () => {
  it("wake the kiosk's long-poll on node A when the phone redeems on node B (LISTEN/NOTIFY)", async () => {
    expect(nodeA.issuer.url).not.toBe(nodeB.issuer.url);
    const { session, code, accessToken } = await upToRedeem(nodeA);
    const statusPath = routePath('enrollmentStatus', { enrollmentId: code.enrollmentId });
    const longPoll = nodeA.http.send<EnrollmentStatus>('GET', `${statusPath}?waitSeconds=30`, {
      bearer: session.sessionToken,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const csr = await makeCsr();
    const redeemedAt = Date.now();
    const redeemed = await redeem(nodeB.http, accessToken, code.enrollmentId, code.otp, csr);
    expect(redeemed.status).toBe(200);
    const finished = await longPoll;
    expect(finished.body.state).toBe('completed');
    expect(finished.body.certificateSerialHex).toBe(redeemed.body.serialNumberHex);
    // Neither the 30 s long-poll nor the 60 s re-read: the notification.
    expect(Date.now() - redeemedAt).toBeLessThan(5_000);
  });

  it("still wake each other's waiters after the database restarted (the listening connection comes back)", async () => {
    await server.stop();
    await server.start();
    // The nodes notice the lost connection and listen again (every second); requests get new connections.
    const deadline = Date.now() + 30_000;
    let woken = false;
    while (!woken && Date.now() < deadline) {
      const { session, code, accessToken } = await upToRedeem(nodeA).catch(() => ({
        session: null,
        code: null,
        accessToken: '',
      }));
      if (session === null || code === null) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      const statusPath = routePath('enrollmentStatus', { enrollmentId: code.enrollmentId });
      const longPoll = nodeA.http.send<EnrollmentStatus>('GET', `${statusPath}?waitSeconds=3`, {
        bearer: session.sessionToken,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const redeemed = await redeem(nodeB.http, accessToken, code.enrollmentId, code.otp, await makeCsr());
      expect(redeemed.status).toBe(200);
      // Woken by the notification, or the 3 s wait ran out (the channel not back yet: try again).
      woken = (await longPoll).body.state === 'completed';
    }
    expect(woken).toBe(true);
  });

  it('give one certificate when both nodes take 100 redeems each of one enrollment (each answer carries it)', async () => {
    const { code, accessToken } = await upToRedeem(nodeA);
    const csr = await makeCsr();
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, n) =>
        redeem(n % 2 === 0 ? nodeA.http : nodeB.http, accessToken, code.enrollmentId, code.otp, csr),
      ),
    );
    // One issuance; every other ask, the same phone with the same key, gets that certificate sent again.
    expect(answers.filter((answer) => answer.status === 200 && answer.body.repeatedDelivery !== true)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.body.serialNumberHex)).size).toBe(1);
    const credentials = await nodeB.issuer.storage.listDerivedCredentials({ cardId: undefined }, 1000);
    expect(credentials.filter((credential) => credential.enrollmentId === code.enrollmentId)).toHaveLength(1);
  });
});

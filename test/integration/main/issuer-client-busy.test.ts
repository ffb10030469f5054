// The kiosk's HTTPS issuer client against a real issuer whose PostgreSQL is down: the issuer answers 503
// storage-unavailable, and the client keeps that code (the kiosk then says the service is busy, not unreachable),
// then works again by itself once the database is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsIssuerClient } from '../../../main/issuer-client/https-issuer-client.ts';
import { startHarness } from '../issuer/issuer-fixture.ts';
import type { IssuerHarness } from '../issuer/issuer-fixture.ts';
import { startPostgres } from '../issuer/storage/postgres-server.ts';
import type { PostgresServer } from '../issuer/storage/postgres-server.ts';

let server: PostgresServer;
let h: IssuerHarness;

beforeAll(async () => {
  server = await startPostgres();
  const database = await server.createDatabase();
  h = await startHarness({ config: { storage: { kind: 'postgres', url: database.url, connectTimeoutMs: 10_000 } } });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await server?.destroy();
});

describe('kiosk issuer client, issuer database down', () => {
  it('keeps storage-unavailable for the issuer’s 503, and gets a challenge again once the database is back', async () => {
    const client = new HttpsIssuerClient({ baseUrl: h.issuer.url, trustedCaPem: h.issuer.tlsCertificatePem });
    try {
      expect(await client.challenge()).toMatchObject({ ok: true });
      await server.stop();
      try {
        const down = await client.challenge();
        expect(down).toMatchObject({
          ok: false,
          error: {
            code: 'storage-unavailable',
            detail: expect.stringMatching(/^HTTP 503 storage-unavailable \(request /) as string,
          },
        });
      } finally {
        await server.start();
      }
      const deadline = Date.now() + 30_000;
      let again = await client.challenge();
      while (!again.ok && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        again = await client.challenge();
      }
      expect(again).toMatchObject({ ok: true });
    } finally {
      client.close();
    }
  }, 60_000);
});

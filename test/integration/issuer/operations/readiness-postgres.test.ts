// /readyz on PostgreSQL: the node is not ready while its database is down (the private server stopped) or hangs (the
// server frozen: connections open, nothing answers), answering within the balancer's probe time-out either way, and
// ready again by itself once the database is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS_PATHS } from '../../../../contracts/issuer-routes.ts';
import { DATABASE_READY_TIMEOUT_MS } from '../../../../issuer/operations/readiness.ts';
import type { HttpAnswer } from '../issuer-client.ts';
import { startHarness } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';
import { startPostgres } from '../storage/postgres-server.ts';
import type { PostgresServer } from '../storage/postgres-server.ts';

type Readiness = { status: string; checks: Record<string, { ok: boolean; reason?: string }> };

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

/** /readyz, or 'no answer' after `withinMs` (a balancer gives up and marks the node down on its own clock). */
async function readyz(withinMs = 4 * DATABASE_READY_TIMEOUT_MS): Promise<HttpAnswer<Readiness> | 'no answer'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'no answer'>((resolve) => {
    timer = setTimeout(() => resolve('no answer'), withinMs);
  });
  try {
    return await Promise.race([h.http.send<Readiness>('GET', OPERATIONS_PATHS.readyz), late]);
  } finally {
    clearTimeout(timer);
  }
}

async function readyAgain(): Promise<HttpAnswer<Readiness> | 'no answer'> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await readyz();
    if ((answer !== 'no answer' && answer.status === 200) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const READY = { status: 'ready', checks: { database: { ok: true }, caSigner: { ok: true }, crls: { ok: true } } };

describe('/readyz on PostgreSQL', () => {
  it('is not ready while the database is stopped, and ready again once it is back', async () => {
    expect(await readyz()).toMatchObject({ status: 200, body: READY });
    await server.stop();
    try {
      expect(await readyz()).toMatchObject({
        status: 503,
        body: {
          status: 'not-ready',
          checks: { database: { ok: false, reason: 'storage-unavailable' }, caSigner: { ok: true } },
        },
      });
    } finally {
      await server.start();
    }
    expect(await readyAgain()).toMatchObject({ status: 200, body: READY });
  });

  it('is not ready, within its time-out, while the database hangs, and ready again once it answers', async () => {
    expect(await readyz()).toMatchObject({ status: 200, body: READY });
    server.pause();
    try {
      expect(await readyz()).toMatchObject({
        status: 503,
        body: { status: 'not-ready', checks: { database: { ok: false, reason: 'storage-no-answer' } } },
      });
    } finally {
      server.resume();
    }
    expect(await readyAgain()).toMatchObject({ status: 200, body: READY });
  });
});

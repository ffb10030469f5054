// Enrollment wake-ups between two nodes on one PostgreSQL database (LISTEN/NOTIFY, storage/postgres-enrollment-
// channel.ts), each node a pool of its own: a burst of wake-ups published at once on one node reaches the other
// whole, once each and in order, never the publisher itself, and costs the publisher a statement for the first and
// one for all those asked for while it was on its way (under load every approve and redeem publishes one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresPool } from '../../../../issuer/storage/postgres-connection.ts';
import type { PostgresPool } from '../../../../issuer/storage/postgres-connection.ts';
import { startEnrollmentChannel } from '../../../../issuer/storage/postgres-enrollment-channel.ts';
import type { EnrollmentChannel } from '../../../../issuer/storage/postgres-enrollment-channel.ts';
import { startPostgres } from './postgres-server.ts';
import type { PostgresServer } from './postgres-server.ts';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server.destroy();
});

/** Resolves once `done()` holds, checking every 20 ms; rejects after 10 s with `what`. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within 10 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Node {
  pool: PostgresPool;
  channel: EnrollmentChannel;
  woken: string[];
  /** Statements the channel ran on its pool outside LISTEN (its publishes). */
  reads: () => number;
}

function startNode(pool: PostgresPool): Node {
  let reads = 0;
  const counted: PostgresPool = {
    ...pool,
    read: (work) => {
      reads += 1;
      return pool.read(work);
    },
  };
  const woken: string[] = [];
  const channel = startEnrollmentChannel(counted, (enrollmentId) => woken.push(enrollmentId));
  return { pool, channel, woken, reads: () => reads };
}

describe('enrollment wake-ups between nodes', () => {
  it('a burst published at once reaches the other node whole, in order, in two statements', async () => {
    const database = await server.createDatabase();
    const a = startNode(openPostgresPool(database));
    const b = startNode(openPostgresPool(database));
    try {
      // Both listening: a probe from each reaches the other.
      let probes = 0;
      await until(() => {
        probes += 1;
        a.channel.publish(`probe-a-${probes}`);
        b.channel.publish(`probe-b-${probes}`);
        return a.woken.length > 0 && b.woken.length > 0;
      }, 'both nodes listening');
      // The last probes' notices still on their way.
      await new Promise((resolve) => setTimeout(resolve, 300));
      a.woken.length = 0;
      b.woken.length = 0;
      const readsBefore = b.reads();

      const burst = Array.from({ length: 50 }, (_, i) => `enrollment-${i}`);
      for (const id of burst) b.channel.publish(id);
      await until(() => a.woken.filter((id) => id.startsWith('enrollment-')).length >= burst.length, 'the burst');
      await new Promise((resolve) => setTimeout(resolve, 200));

      expect(a.woken.filter((id) => id.startsWith('enrollment-'))).toEqual(burst);
      expect(b.woken.filter((id) => id.startsWith('enrollment-'))).toEqual([]);
      expect(b.reads() - readsBefore).toBe(2);
    } finally {
      for (const node of [a, b]) {
        await node.channel.stop();
        await node.pool.end();
      }
    }
  });
});

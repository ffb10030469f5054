// Enrollment wake-ups between issuer nodes on one PostgreSQL database (LISTEN/NOTIFY): a node that changes an
// enrollment publishes its id on the channel; every other node wakes its own waiters (a kiosk long-polling node A
// wakes when the phone redeems on node B). A notification is only a hint ("read the enrollment again"): one lost
// while a connection is down costs a kiosk at most the periodic re-read (EnrollmentEvents' recheckMs), never more.
import { randomBytes } from 'node:crypto';
import type { Notification, PoolClient } from 'pg';
import type { PostgresPool } from './postgres-connection.ts';

const CHANNEL = 'dck_enrollments';
/** After the listening connection is lost, try again this often (the database restarting). */
const RECONNECT_MS = 1_000;
/** What a payload may hold: `<node id> <enrollment id>`, both url-safe ids; anything else is dropped. */
const PAYLOAD = /^([A-Za-z0-9_-]{8,64}) ([A-Za-z0-9_-]{1,128})$/;

export interface EnrollmentChannel {
  /** Tells the other nodes that `enrollmentId` changed here (best effort: the re-read covers a lost one). */
  publish(this: void, enrollmentId: string): void;
  stop(this: void): Promise<void>;
}

/**
 * Publishes wake-ups one statement at a time: those asked for while one is on its way go together in the next
 * (`SELECT pg_notify … FROM unnest(…)`). Under load every approve and redeem publishes one; sent singly they were a
 * round trip each (bench:issuer --postgres-statements: 2 per enrollment); batched, the busier the node the fewer.
 * A wake-up alone still leaves at once. Order is kept: a statement's notifications arrive in their order, and the
 * statements follow one another.
 */
function batchedPublisher(pool: PostgresPool, nodeId: string): (enrollmentId: string) => void {
  let waiting: string[] = [];
  let sending = false;
  const sendWaiting = async (): Promise<void> => {
    while (waiting.length > 0) {
      const payloads = waiting;
      waiting = [];
      await pool
        .read((sql) =>
          sql.count('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [CHANNEL, payloads]),
        )
        .catch(() => undefined);
    }
    sending = false;
  };
  return (enrollmentId) => {
    waiting.push(`${nodeId} ${enrollmentId}`);
    if (sending) return;
    sending = true;
    void sendWaiting();
  };
}

export function startEnrollmentChannel(pool: PostgresPool, wake: (enrollmentId: string) => void): EnrollmentChannel {
  const nodeId = randomBytes(9).toString('base64url');
  let client: PoolClient | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;

  const onNotification = (message: Notification): void => {
    if (message.channel !== CHANNEL) return;
    const match = PAYLOAD.exec(message.payload ?? '');
    // Our own notices come back too: our waiters were woken when the change was made.
    if (match === null || match[1] === nodeId || match[2] === undefined) return;
    wake(match[2]);
  };

  const listen = async (): Promise<void> => {
    retry = null;
    if (stopped) return;
    try {
      const connection = await pool.connect();
      // A server shutdown ends the connection with an error AND an end event: it is given back once (a second
      // release throws, from an event handler: the process would crash on every database restart). Both listeners
      // stay on the discarded connection, so a late error event is heard, not thrown.
      let released = false;
      const lost = () => {
        if (released) return;
        released = true;
        connection.off('notification', onNotification);
        connection.release(true);
        if (client === connection) client = null;
        if (!stopped) retry ??= setTimeout(() => void listen(), RECONNECT_MS);
      };
      connection.on('notification', onNotification);
      connection.on('error', lost);
      connection.on('end', lost);
      await connection.query(`LISTEN ${CHANNEL}`);
      client = connection;
      if (stopped) await closeClient();
    } catch {
      if (!stopped) retry ??= setTimeout(() => void listen(), RECONNECT_MS);
    }
  };

  const closeClient = async (): Promise<void> => {
    const connection = client;
    client = null;
    if (connection === null) return;
    connection.off('notification', onNotification);
    connection.removeAllListeners('error');
    connection.removeAllListeners('end');
    await connection.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
    connection.release();
  };

  const publisher = batchedPublisher(pool, nodeId);
  void listen();
  return {
    publish: publisher,
    stop: async () => {
      stopped = true;
      if (retry !== null) clearTimeout(retry);
      await closeClient();
    },
  };
}

// A TCP proxy on loopback between a client (the phone, the PC) and the harness issuer (a load balancer, as far as the
// client can tell) that a test can take down for a while: `down()` stops listening (new connections are refused) and
// resets every connection it carries; `up()` listens again on the same port. `hold()` keeps what clients send from the
// issuer (on open connections too: clients keep them alive) until `release()`. Bytes pass through untouched (TLS end
// to end), so the proxy cannot read which request an answer belongs to: `cutAnswerOnceWhen` asks the test instead, as
// each answer's bytes arrive from the issuer (e.g. "has the issuer stored the certificate now?"), and the first time
// it says yes those bytes are dropped and the client's connection reset: the issuer answered, the client never hears it.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface LoopbackProxy {
  /** `https://127.0.0.1:<port>`: give it to the issuer as its publicBaseUrl, so its QR codes name the proxy. */
  readonly url: string;
  /** Where to forward (the issuer's port is known only once it runs). */
  forwardTo(port: number): void;
  down(): Promise<void>;
  /**
   * From now on, bytes from the issuer wait (in order, per connection) while `answerIsLost` is asked; the first
   * time it resolves true, those bytes are dropped and the connection reset, and the proxy passes all again.
   * Resolves with the count of connections cut (1) once that happened.
   */
  cutAnswerOnceWhen(answerIsLost: () => Promise<boolean>): Promise<number>;
  up(): Promise<void>;
  /** From now on, what clients send waits here (nothing is lost) until `release()`. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export async function startLoopbackProxy(): Promise<LoopbackProxy> {
  let targetPort = 0;
  const open = new Set<Socket>();
  // Sends held back while the proxy holds, in order, each with the connection it goes to.
  let held: Array<{ readonly to: Socket; readonly chunk: Buffer }> | null = null;
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  let cutWhen: { answerIsLost: () => Promise<boolean>; cut: (count: number) => void } | null = null;
  // Issuer → phone, one chunk at a time: while a cut is armed the issuer's socket is paused during the test's check.
  const forwardAnswers = (issuer: Socket, client: Socket): void => {
    issuer.on('data', (chunk: Buffer) => {
      const armed = cutWhen;
      if (armed === null) {
        client.write(chunk);
        return;
      }
      issuer.pause();
      void armed.answerIsLost().then((lost) => {
        if (lost && cutWhen === armed) {
          cutWhen = null;
          client.resetAndDestroy();
          issuer.destroy();
          armed.cut(1);
          return;
        }
        if (!client.destroyed) client.write(chunk);
        issuer.resume();
      });
    });
  };
  const server: Server = createServer((client) => {
    const issuer = connect(targetPort, '127.0.0.1');
    track(client);
    track(issuer);
    client.on('data', (chunk: Buffer) => {
      if (held === null) issuer.write(chunk);
      else held.push({ to: issuer, chunk });
    });
    forwardAnswers(issuer, client);
    client.on('close', () => issuer.destroy());
    issuer.on('close', () => client.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  const port = address.port;
  const down = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of open) socket.resetAndDestroy();
    await closed;
  };
  return {
    url: `https://127.0.0.1:${port}`,
    forwardTo: (issuerPort) => {
      targetPort = issuerPort;
    },
    down,
    cutAnswerOnceWhen: (answerIsLost) =>
      new Promise<number>((cut) => {
        cutWhen = { answerIsLost, cut };
      }),
    up: () => listen(port),
    hold: () => {
      held ??= [];
    },
    release: () => {
      const waiting = held ?? [];
      held = null;
      for (const { to, chunk } of waiting) if (!to.destroyed) to.write(chunk);
    },
    close: async () => {
      if (server.listening) await down();
    },
  };
}

// A TCP proxy on loopback between a client (the phone, the PC) and the harness issuer (a load balancer, as far as the
// client can tell) that a test can take down for a while: `down()` stops listening (new connections are refused) and
// resets every connection it carries; `up()` listens again on the same port. `hold()` keeps what clients send from the
// issuer (on open connections too: clients keep them alive) until `release()`. Bytes pass through untouched (TLS end
// to end).
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface LoopbackProxy {
  /** `https://127.0.0.1:<port>`: give it to the issuer as its publicBaseUrl, so its QR codes name the proxy. */
  readonly url: string;
  /** Where to forward (the issuer's port is known only once it runs). */
  forwardTo(port: number): void;
  down(): Promise<void>;
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
  const server: Server = createServer((client) => {
    const issuer = connect(targetPort, '127.0.0.1');
    track(client);
    track(issuer);
    client.on('data', (chunk: Buffer) => {
      if (held === null) issuer.write(chunk);
      else held.push({ to: issuer, chunk });
    });
    issuer.pipe(client);
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

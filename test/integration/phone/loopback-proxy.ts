// A TCP proxy on loopback between the phone and the harness issuer (a load balancer, as far as the phone can tell)
// that a test can take down for a while: `down()` stops listening (new connections are refused) and resets every
// connection it carries; `up()` listens again on the same port. Bytes pass through untouched (TLS end to end).
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface LoopbackProxy {
  /** `https://127.0.0.1:<port>`: give it to the issuer as its publicBaseUrl, so its QR codes name the proxy. */
  readonly url: string;
  /** Where to forward (the issuer's port is known only once it runs). */
  forwardTo(port: number): void;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startLoopbackProxy(): Promise<LoopbackProxy> {
  let targetPort = 0;
  const open = new Set<Socket>();
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((client) => {
    const issuer = connect(targetPort, '127.0.0.1');
    track(client);
    track(issuer);
    client.pipe(issuer);
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
    close: async () => {
      if (server.listening) await down();
    },
  };
}

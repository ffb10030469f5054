/** The vpcd link against a stand-in vpcd server: framing, control bytes, split frames, disconnects. */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VpcdLink } from '../../../virtual-card/vpcd-link.ts';
import type { SimulatedCard } from '../../../virtual-card/vpcd-link.ts';

const ATR = Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01);

function recordingCard(events: string[]): SimulatedCard {
  return {
    atr: ATR,
    powerOn: () => events.push('on'),
    powerOff: () => events.push('off'),
    reset: () => events.push('reset'),
    transmit: (apdu) => {
      events.push(`apdu ${Buffer.from(apdu).toString('hex')}`);
      return Uint8Array.of(0x90, 0x00);
    },
  };
}

let server: Server | undefined;
const openSockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A vpcd stand-in: resolves with the accepted socket and a reader of framed replies. */
async function fakeVpcd(): Promise<{ port: number; accepted: Promise<Socket> }> {
  let accept: (socket: Socket) => void = () => undefined;
  const accepted = new Promise<Socket>((resolve) => (accept = resolve));
  server = createServer((socket) => {
    openSockets.add(socket);
    accept(socket);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, accepted };
}

function nextFrame(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        socket.off('data', onData);
        resolve(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      }
    };
    socket.on('data', onData);
  });
}

describe('vpcd link', () => {
  it('answers GET ATR and APDUs, obeys power control, and copes with frames split and merged', async () => {
    const { port, accepted } = await fakeVpcd();
    const events: string[] = [];
    const link = new VpcdLink({ host: '127.0.0.1', port, card: recordingCard(events) });
    await link.insert();
    const vpcd = await accepted;
    vpcd.write(Buffer.of(0, 1, 1)); // power on
    const atr = nextFrame(vpcd);
    vpcd.write(Buffer.of(0, 1, 4)); // get ATR
    expect(Buffer.from(await atr).equals(Buffer.from(ATR))).toBe(true);
    const response = nextFrame(vpcd);
    vpcd.write(Buffer.of(0, 5, 0x00)); // an APDU frame in three TCP writes
    await new Promise((resolve) => setTimeout(resolve, 20));
    vpcd.write(Buffer.of(0xa4, 0x04));
    await new Promise((resolve) => setTimeout(resolve, 20));
    vpcd.write(Buffer.of(0x00, 0x00));
    expect((await response).toString('hex')).toBe('9000');
    vpcd.write(Buffer.of(0, 1, 2, 0, 1, 0)); // reset and power off in one write
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toEqual(['on', 'apdu 00a4040000', 'reset', 'off']);
    await link.remove();
    expect(link.connected).toBe(false);
  });

  it('reports a connection vpcd drops, but not one we close ourselves', async () => {
    const { port, accepted } = await fakeVpcd();
    const reasons: string[] = [];
    const link = new VpcdLink({
      host: '127.0.0.1',
      port,
      card: recordingCard([]),
      onDisconnect: (reason) => reasons.push(reason),
    });
    await link.insert();
    (await accepted).destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reasons).toEqual(['vpcd closed the connection']);
    expect(link.connected).toBe(false);
  });

  it('rejects insert() when nothing listens', async () => {
    const { port } = await fakeVpcd();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const link = new VpcdLink({ host: '127.0.0.1', port, card: recordingCard([]) });
    await expect(link.insert()).rejects.toThrow(/ECONNREFUSED/);
  });
});

// A minimal card on vsmartcard's vpcd wire protocol (2-byte big-endian length + payload; one-byte
// control messages 0 off, 1 on, 2 reset, 4 get ATR). It answers every APDU with 90 00, or hangs up
// on the first APDU (`pullOnApdu`) to act out a card pulled in the middle of a command, or acts out a
// hostile or broken card: `dripMs` answers every APDU after that delay with one byte and 61 01 ("one
// more byte available", for ever), `silent` never answers. The PC/SC watcher tests need no PIV logic,
// and this gives them exact control over timing.
import { connect } from 'node:net';
import type { Socket } from 'node:net';

export const STUB_ATR = Buffer.from('3bf81300008131fe15597562696b657934d4', 'hex');

export interface StubCard {
  readonly apdus: number;
  remove(): Promise<void>;
}

export interface StubCardOptions {
  readonly pullOnApdu?: boolean;
  readonly dripMs?: number;
  readonly silent?: boolean;
}

export function insertStubCard(port: number, options: StubCardOptions = {}): Promise<StubCard> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    let apdus = 0;
    let pending = Buffer.alloc(0);
    const card: StubCard = {
      get apdus() {
        return apdus;
      },
      remove: () => close(socket),
    };
    socket.once('connect', () => resolve(card));
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        if (length === 1) {
          if (message[0] === 4) send(socket, STUB_ATR);
          continue;
        }
        apdus += 1;
        if (options.pullOnApdu === true) {
          socket.destroy();
          return;
        }
        if (options.silent === true) continue;
        if (options.dripMs !== undefined) {
          setTimeout(() => {
            if (!socket.destroyed) send(socket, Buffer.from([0x42, 0x61, 0x01]));
          }, options.dripMs);
          continue;
        }
        send(socket, Buffer.from([0x90, 0x00]));
      }
    });
  });
}

function send(socket: Socket, payload: Buffer): void {
  const header = Buffer.alloc(2);
  header.writeUInt16BE(payload.length);
  socket.write(Buffer.concat([header, payload]));
}

function close(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    socket.once('close', () => resolve());
    socket.destroy();
  });
}

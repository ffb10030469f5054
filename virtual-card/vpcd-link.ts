/**
 * TCP client to vsmartcard's vpcd (the reader driver inside pcscd). Connected = card inserted,
 * closed = card removed. Frames are a 2-byte big-endian length and a payload; a one-byte payload
 * is a control message (0 power off, 1 power on, 2 reset, 4 get ATR → we answer the ATR), anything
 * longer is a command APDU → we answer the response APDU. Reconnecting is the caller's choice.
 */
import { Socket } from 'node:net';

/** The card behind the link: what vpcd talks to. */
export interface SimulatedCard {
  readonly atr: Uint8Array;
  powerOn(): void;
  powerOff(): void;
  reset(): void;
  transmit(apdu: Uint8Array): Uint8Array;
}

export interface VpcdLinkOptions {
  readonly host: string;
  readonly port: number;
  readonly card: SimulatedCard;
  /** Told when the connection ends without remove() being called (pcscd stopped, protocol error). */
  readonly onDisconnect?: (reason: string) => void;
}

const CONTROL = { POWER_OFF: 0, POWER_ON: 1, RESET: 2, GET_ATR: 4 } as const;
const CONNECT_TIMEOUT_MS = 5_000;

export class VpcdLink {
  private socket: Socket | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  private closingOnPurpose = false;

  constructor(private readonly options: VpcdLinkOptions) {}

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  /** Connects to vpcd: pcscd then sees a card in the reader. */
  insert(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      this.socket = socket;
      this.buffered = Buffer.alloc(0);
      this.closingOnPurpose = false;
      socket.setNoDelay(true);
      socket.setTimeout(CONNECT_TIMEOUT_MS);
      const onConnectError = (error: Error): void => {
        socket.destroy();
        this.socket = undefined;
        reject(error);
      };
      socket.once('error', onConnectError);
      socket.once('timeout', () =>
        onConnectError(new Error(`vpcd at ${this.options.host}:${this.options.port} did not answer`)),
      );
      socket.connect(this.options.port, this.options.host, () => {
        socket.setTimeout(0);
        socket.removeAllListeners('timeout');
        socket.off('error', onConnectError);
        socket.on('error', (error) => this.lost(socket, `socket error: ${error.message}`));
        socket.on('close', () => this.lost(socket, 'vpcd closed the connection'));
        socket.on('data', (chunk: Buffer) => this.receive(socket, chunk));
        resolve();
      });
    });
  }

  /** Closes the connection: pcscd then sees the card removed. */
  remove(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) {
      this.socket = undefined;
      return Promise.resolve();
    }
    this.closingOnPurpose = true;
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  private lost(socket: Socket, reason: string): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.options.card.powerOff();
    if (!this.closingOnPurpose) this.options.onDisconnect?.(reason);
  }

  private receive(socket: Socket, chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 2) {
      const length = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + length) return;
      const payload = new Uint8Array(this.buffered.subarray(2, 2 + length));
      this.buffered = this.buffered.subarray(2 + length);
      const reply = this.handle(payload);
      if (reply) socket.write(frame(reply));
    }
  }

  private handle(payload: Uint8Array): Uint8Array | undefined {
    const card = this.options.card;
    if (payload.length !== 1) return card.transmit(payload);
    switch (payload[0]) {
      case CONTROL.POWER_OFF:
        card.powerOff();
        return undefined;
      case CONTROL.POWER_ON:
        card.powerOn();
        return undefined;
      case CONTROL.RESET:
        card.reset();
        return undefined;
      case CONTROL.GET_ATR:
        return card.atr;
      case undefined:
      default:
        // Unknown control byte: vpcd 3.3 sends none other; ignoring keeps the link alive.
        return undefined;
    }
  }
}

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + payload.length);
  out.writeUInt16BE(payload.length, 0);
  out.set(payload, 2);
  return out;
}

// Runs IN THE PAGE (bundled into /kiosk-host.js and /agent-host.js): the browser host's loopback WebSocket, shared by
// the kiosk's and the agent console's page scripts. It holds no logic: every call is forwarded as a binary frame
// (see ../transport/wire.ts), every result and view comes back as JSON. The per-launch secret is an HttpOnly cookie
// this script never sees; the browser sends it with the WebSocket handshake.
import type { Result } from '../../contracts/kiosk-api.ts';
import { encodeCallFrame } from '../transport/wire.ts';
import type { HostMessage } from '../transport/wire.ts';

const RECONNECT_MS = 1000;
const MAX_QUEUED_CALLS = 32;

export interface HostSocketOptions<View, Failure extends { readonly code: string }> {
  /** Every view main pushes. */
  readonly onView: (view: View) => void;
  /**
   * The host is gone (or restarting): the page must not keep showing a QR code, a password, a name or a person's
   * record. Called at once on close; a host that comes back pushes its current view.
   */
  readonly onLost: () => void;
  /** The result of a call that cannot reach the host. */
  readonly disconnected: Failure;
}

export type HostCall<Failure extends { readonly code: string }> = (
  name: string,
  args: readonly unknown[],
) => Promise<Result<unknown, Failure>>;

export function connectHostSocket<View, Failure extends { readonly code: string }>(
  options: HostSocketOptions<View, Failure>,
): HostCall<Failure> {
  const socketUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/kiosk-ws`;
  type Settle = (result: Result<unknown, Failure>) => void;
  const pending = new Map<number, Settle>();
  const queued: { id: number; frame: Uint8Array<ArrayBuffer> }[] = [];
  let socket: WebSocket | null = null;
  let nextId = 1;
  const disconnected: Result<never, Failure> = { ok: false, error: options.disconnected };

  const sendFrame = (ws: WebSocket, frame: Uint8Array<ArrayBuffer>): void => {
    ws.send(frame);
    frame.fill(0); // the browser copied the bytes into its send buffer
  };

  const onMessage = (event: MessageEvent): void => {
    if (typeof event.data !== 'string') return;
    const message = JSON.parse(event.data) as HostMessage<View, Failure>;
    if (message.kind === 'view') {
      options.onView(message.view);
      return;
    }
    const settle = pending.get(message.id);
    pending.delete(message.id);
    settle?.(message.result);
  };

  const connect = (): void => {
    const ws = new WebSocket(socketUrl);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.addEventListener('open', () => {
      for (const { frame } of queued.splice(0)) sendFrame(ws, frame);
    });
    ws.addEventListener('message', onMessage);
    ws.addEventListener('close', () => {
      socket = null;
      options.onLost();
      for (const { frame } of queued.splice(0)) frame.fill(0);
      for (const settle of pending.values()) settle(disconnected);
      pending.clear();
      setTimeout(connect, RECONNECT_MS);
    });
  };

  connect();
  return (name, args) =>
    new Promise((resolve) => {
      const ws = socket;
      if (ws === null || ws.readyState > WebSocket.OPEN || queued.length >= MAX_QUEUED_CALLS) {
        resolve(disconnected);
        return;
      }
      const id = nextId++;
      pending.set(id, resolve);
      const frame = encodeCallFrame(id, name, args);
      if (ws.readyState === WebSocket.OPEN) sendFrame(ws, frame);
      else queued.push({ id, frame });
    });
}

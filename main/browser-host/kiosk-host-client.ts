// Runs IN THE PAGE (bundled by esbuild into /kiosk-host.js, loaded before the renderer's bundle): defines
// `window.kiosk` over the browser host's loopback WebSocket. It holds no logic: every call is forwarded as a
// binary frame (see ../transport/wire.ts), every result and view comes back as JSON. The per-launch secret is an
// HttpOnly cookie this script never sees; the browser sends it with the WebSocket handshake.
import { err } from '../../contracts/kiosk-api.ts';
import type { KioskError, KioskInvokeName, KioskView, Result } from '../../contracts/kiosk-api.ts';
import { createKioskApiObject } from '../transport/kiosk-api-object.ts';
import { encodeCallFrame } from '../transport/wire.ts';
import type { HostMessage } from '../transport/wire.ts';

type Settle = (result: Result<unknown, KioskError>) => void;

const RECONNECT_MS = 1000;
const HOST_LOST: KioskView = { screen: 'out-of-order', reason: 'host-lost' };
const MAX_QUEUED_CALLS = 32;

function installKioskHost(): void {
  if (window.kiosk !== undefined) return; // Electron's preload got there first
  const socketUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/kiosk-ws`;
  const pending = new Map<number, Settle>();
  const queued: { id: number; frame: Uint8Array<ArrayBuffer> }[] = [];
  let socket: WebSocket | null = null;
  let nextId = 1;

  const disconnected = (): Result<never, KioskError> => err({ code: 'disconnected' });

  const sendFrame = (ws: WebSocket, frame: Uint8Array<ArrayBuffer>): void => {
    ws.send(frame);
    frame.fill(0); // the browser copied the bytes into its send buffer
  };

  const onMessage = (event: MessageEvent): void => {
    if (typeof event.data !== 'string') return;
    const message = JSON.parse(event.data) as HostMessage;
    if (message.kind === 'view') {
      publishView(message.view);
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
      // The host is gone (or restarting): the page must not keep showing a QR code, password or name. The
      // out-of-order view replaces whatever was shown at once; a host that comes back pushes its current view.
      publishView(HOST_LOST);
      for (const { frame } of queued.splice(0)) frame.fill(0);
      for (const settle of pending.values()) settle(disconnected());
      pending.clear();
      setTimeout(connect, RECONNECT_MS);
    });
  };

  const call = (name: KioskInvokeName, args: readonly unknown[]): Promise<Result<unknown, KioskError>> =>
    new Promise((resolve) => {
      const ws = socket;
      if (ws === null || ws.readyState > WebSocket.OPEN || queued.length >= MAX_QUEUED_CALLS) {
        resolve(disconnected());
        return;
      }
      const id = nextId++;
      pending.set(id, resolve);
      const frame = encodeCallFrame(id, name, args);
      if (ws.readyState === WebSocket.OPEN) sendFrame(ws, frame);
      else queued.push({ id, frame });
    });

  const { api, publishView } = createKioskApiObject(call);
  Object.defineProperty(window, 'kiosk', { value: Object.freeze(api), writable: false, configurable: false });
  connect();
}

installKioskHost();

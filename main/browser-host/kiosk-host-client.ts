// Runs IN THE PAGE (bundled by esbuild into /kiosk-host.js, loaded before the renderer's bundle): defines
// `window.kiosk` over the browser host's loopback WebSocket (host-socket.ts).
import type { KioskError, KioskView } from '../../contracts/kiosk-api.ts';
import { createKioskApiObject } from '../transport/kiosk-api-object.ts';
import { connectHostSocket } from './host-socket.ts';
import type { HostCall } from './host-socket.ts';

const HOST_LOST: KioskView = { screen: 'out-of-order', reason: 'host-lost' };

function installKioskHost(): void {
  if (window.kiosk !== undefined) return; // Electron's preload got there first
  // The API object is made first (its publishView is what the socket feeds); its calls go through the socket.
  let call: HostCall<KioskError> | null = null;
  const { api, publishView } = createKioskApiObject((name, args) =>
    call === null ? Promise.resolve({ ok: false, error: { code: 'disconnected' } }) : call(name, args),
  );
  Object.defineProperty(window, 'kiosk', { value: Object.freeze(api), writable: false, configurable: false });
  call = connectHostSocket<KioskView, KioskError>({
    onView: publishView,
    // The out-of-order view replaces whatever was shown at once (a QR code or password never outlives the host).
    onLost: () => publishView(HOST_LOST),
    disconnected: { code: 'disconnected' },
  });
}

installKioskHost();

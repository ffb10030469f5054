// Runs IN THE PAGE (bundled by esbuild into /pc-host.js, loaded before the "Set up this PC" bundle): defines
// `window.thisPc` over the browser host's loopback WebSocket (host-socket.ts). Every view main pushes is checked
// against the contract (contracts/pc-api.ts `isPcView`) before the page sees it.
import { isPcView } from '../../contracts/pc-api.ts';
import type { PcCallError, PcView } from '../../contracts/pc-api.ts';
import { createPcApiObject } from '../transport/kiosk-api-object.ts';
import { connectHostSocket } from './host-socket.ts';
import type { HostCall } from './host-socket.ts';

/** The host is gone: the page says so at once (a host that comes back pushes its current view). */
const HOST_LOST: PcView = { screen: 'failed', purpose: 'enroll', fault: 'app-stopped' };

function installPcHost(): void {
  if (window.thisPc !== undefined) return;
  let call: HostCall<PcCallError> | null = null;
  const { api, publishView } = createPcApiObject((name, args) =>
    call === null ? Promise.resolve({ ok: false, error: { code: 'disconnected' } }) : call(name, args),
  );
  Object.defineProperty(window, 'thisPc', { value: Object.freeze(api), writable: false, configurable: false });
  call = connectHostSocket<PcView, PcCallError>({
    onView: (view: unknown) => {
      if (isPcView(view)) publishView(view);
      else console.warn('this PC: a view the page does not know was dropped');
    },
    onLost: () => publishView(HOST_LOST),
    disconnected: { code: 'disconnected' },
  });
}

installPcHost();

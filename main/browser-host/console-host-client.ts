// Runs IN THE PAGE (bundled by esbuild into /agent-host.js, loaded before the agent console's bundle): defines
// `window.agentConsole` over the browser host's loopback WebSocket (host-socket.ts).
import type { ConsoleError, ConsoleView } from '../../contracts/console-api.ts';
import { createConsoleApiObject } from '../transport/kiosk-api-object.ts';
import { connectHostSocket } from './host-socket.ts';
import type { HostCall } from './host-socket.ts';

/** The host is gone: the console locks at once, so no person's record stays on screen. */
const HOST_LOST: ConsoleView = { screen: 'locked', reason: 'signed-out' };

function installConsoleHost(): void {
  if (window.agentConsole !== undefined) return;
  let call: HostCall<ConsoleError> | null = null;
  const { api, publishView } = createConsoleApiObject((name, args) =>
    call === null ? Promise.resolve({ ok: false, error: { code: 'disconnected' } }) : call(name, args),
  );
  Object.defineProperty(window, 'agentConsole', { value: Object.freeze(api), writable: false, configurable: false });
  call = connectHostSocket<ConsoleView, ConsoleError>({
    onView: publishView,
    onLost: () => publishView(HOST_LOST),
    disconnected: { code: 'disconnected' },
  });
}

installConsoleHost();

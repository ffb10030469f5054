// The agent console window's preload (`--agent`; sandboxed; bundled to CommonJS by build/build-electron.ts). The
// console's twin of preload.ts: it exposes exactly the contract's ConsoleApi as `window.agentConsole`, each call one
// `ipcRenderer.invoke` on the console channel table's channel; views arrive on the console's view channel. Raw
// ipcRenderer is never exposed to the page; the agent's session token stays in main.
import { contextBridge, ipcRenderer } from 'electron';
import { CONSOLE_EVENT_CHANNELS, CONSOLE_INVOKE_CHANNELS } from '../contracts/console-api.ts';
import type { ConsoleError, ConsoleView } from '../contracts/console-api.ts';
import type { Result } from '../contracts/kiosk-api.ts';
import { createConsoleApiObject } from './transport/kiosk-api-object.ts';

const { api, publishView } = createConsoleApiObject(
  (name, args) => ipcRenderer.invoke(CONSOLE_INVOKE_CHANNELS[name], ...args) as Promise<Result<unknown, ConsoleError>>,
);

ipcRenderer.on(CONSOLE_EVENT_CHANNELS.view, (_event, view: ConsoleView) => publishView(view));

contextBridge.exposeInMainWorld('agentConsole', api);

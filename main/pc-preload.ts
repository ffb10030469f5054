// The "Set up this PC" window's preload (`--pc`; sandboxed; bundled to CommonJS by build/build-electron.ts). The
// twin of console-preload.ts: it exposes exactly the contract's PcApi as `window.thisPc`, each call one
// `ipcRenderer.invoke` on the PC channel table's channel; views arrive on the PC view channel and, as the browser
// host's page script does (browser-host/pc-host-client.ts), any view `isPcView` refuses is dropped before the page
// sees it. Raw ipcRenderer is never exposed to the page; the token PIN, the issuer session and the keys stay in main.
import { contextBridge, ipcRenderer } from 'electron';
import { isPcView, PC_EVENT_CHANNELS, PC_INVOKE_CHANNELS } from '../contracts/pc-api.ts';
import type { PcCallError } from '../contracts/pc-api.ts';
import type { Result } from '../contracts/kiosk-api.ts';
import { createPcApiObject } from './transport/kiosk-api-object.ts';

const { api, publishView } = createPcApiObject(
  (name, args) => ipcRenderer.invoke(PC_INVOKE_CHANNELS[name], ...args) as Promise<Result<unknown, PcCallError>>,
);

ipcRenderer.on(PC_EVENT_CHANNELS.view, (_event, view: unknown) => {
  if (isPcView(view)) publishView(view);
  else console.warn('this PC: a view the page does not know was dropped');
});

contextBridge.exposeInMainWorld('thisPc', api);

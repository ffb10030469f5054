// The kiosk window's preload (sandboxed; bundled to CommonJS by build/build-electron.ts). The only module that
// imports `ipcRenderer`/`contextBridge`. It exposes exactly the contract's KioskApi as `window.kiosk`: each call
// is one `ipcRenderer.invoke` on the channel table's channel; views arrive on the view event channel. Raw
// ipcRenderer is never exposed to the page.
import { contextBridge, ipcRenderer } from 'electron';
import { KIOSK_EVENT_CHANNELS, KIOSK_INVOKE_CHANNELS } from '../contracts/kiosk-api.ts';
import type { KioskError, KioskView, Result } from '../contracts/kiosk-api.ts';
import { createKioskApiObject } from './transport/kiosk-api-object.ts';

const { api, publishView } = createKioskApiObject(
  (name, args) => ipcRenderer.invoke(KIOSK_INVOKE_CHANNELS[name], ...args) as Promise<Result<unknown, KioskError>>,
);

ipcRenderer.on(KIOSK_EVENT_CHANNELS.view, (_event, view: KioskView) => publishView(view));

contextBridge.exposeInMainWorld('kiosk', api);

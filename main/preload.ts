// The kiosk window's preload (sandboxed; bundled to CommonJS by build/build-electron.ts). The only module that
// imports `ipcRenderer`/`contextBridge`. It exposes exactly the contract's KioskApi as `window.kiosk`: each call
// is one `ipcRenderer.invoke` on the channel table's channel; views arrive on the view event channel. Raw
// ipcRenderer is never exposed to the page.
import { contextBridge, ipcRenderer } from 'electron';
import { KIOSK_EVENT_CHANNELS, KIOSK_INVOKE_CHANNELS, KIOSK_INVOKE_NAMES } from '../contracts/kiosk-api.ts';
import type { KioskApi, KioskError, KioskInvokeName, KioskView, Result } from '../contracts/kiosk-api.ts';

const listeners = new Set<(view: KioskView) => void>();
let latestView: KioskView | null = null;

ipcRenderer.on(KIOSK_EVENT_CHANNELS.view, (_event, view: KioskView) => {
  latestView = view;
  for (const listener of listeners) listener(view);
});

const invoke = (name: KioskInvokeName, args: unknown[]): Promise<Result<unknown, KioskError>> =>
  ipcRenderer.invoke(KIOSK_INVOKE_CHANNELS[name], ...args) as Promise<Result<unknown, KioskError>>;

const calls: Partial<Record<KioskInvokeName, (...args: unknown[]) => Promise<Result<unknown, KioskError>>>> = {};
for (const name of KIOSK_INVOKE_NAMES) calls[name] = (...args: unknown[]) => invoke(name, args);

const kiosk = {
  ...calls,
  onView(listener: (view: KioskView) => void): () => void {
    listeners.add(listener);
    const current = latestView;
    if (current !== null) queueMicrotask(() => { if (listeners.has(listener)) listener(current); });
    return () => { listeners.delete(listener); };
  },
} as KioskApi;

contextBridge.exposeInMainWorld('kiosk', kiosk);

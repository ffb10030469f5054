// Builds the page-side `window.kiosk` object from one `invoke` function. Both hosts' page halves use it (the Electron
// preload over ipcRenderer, the browser host's /kiosk-host.js over its WebSocket), so the API's shape and the view
// subscription rules live in one place and the transports only move bytes.
import { KIOSK_INVOKE_NAMES } from '../../contracts/kiosk-api.ts';
import type { KioskApi, KioskError, KioskInvokeName, KioskView, Result } from '../../contracts/kiosk-api.ts';

export type KioskInvoke = (name: KioskInvokeName, args: readonly unknown[]) => Promise<Result<unknown, KioskError>>;

export interface KioskApiObject {
  /** What the page sees as `window.kiosk`. */
  readonly api: KioskApi;
  /** The transport calls this for every view pushed by main. */
  readonly publishView: (view: KioskView) => void;
}

export function createKioskApiObject(invoke: KioskInvoke): KioskApiObject {
  const listeners = new Set<(view: KioskView) => void>();
  let latestView: KioskView | null = null;
  const calls: Partial<Record<KioskInvokeName, (...args: unknown[]) => Promise<Result<unknown, KioskError>>>> = {};
  for (const name of KIOSK_INVOKE_NAMES) calls[name] = (...args: unknown[]) => invoke(name, args);
  const api = {
    ...calls,
    onView(listener: (view: KioskView) => void): () => void {
      listeners.add(listener);
      // A late subscriber (the renderer mounting after the first push) still gets the current screen.
      const current = latestView;
      if (current !== null)
        queueMicrotask(() => {
          if (listeners.has(listener)) listener(current);
        });
      return () => {
        listeners.delete(listener);
      };
    },
  } as KioskApi;
  return {
    api,
    publishView: (view: KioskView): void => {
      latestView = view;
      for (const listener of listeners) listener(view);
    },
  };
}

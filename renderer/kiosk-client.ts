// Where the renderer finds `window.kiosk`. The hosts define it before this bundle runs (Electron: preload via
// contextBridge; browser host: its kiosk-host.js). Only the Vite dev server, which has no host, falls back to
// the dev-only fake; a production build never contains the fake (the import sits behind import.meta.env.DEV).
import type { KioskApi } from '../contracts/kiosk-api.ts';

declare global {
  interface Window {
    kiosk?: KioskApi;
  }
}

export async function resolveKioskApi(): Promise<KioskApi | null> {
  if (window.kiosk) return window.kiosk;
  if (import.meta.env.DEV) {
    const { createFakeKiosk } = await import('./dev/fake-kiosk.ts');
    return createFakeKiosk(new URLSearchParams(window.location.search));
  }
  return null;
}

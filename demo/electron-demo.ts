// `npm start -- --demo`: the Electron kiosk with the demo environment (embedded issuer trusting the demo PKI,
// virtual card when no reader holds a card). Bundled on its own as out/electron/demo.mjs, which main.mjs loads
// only for --demo and electron-builder leaves out of the package: a deployed kiosk cannot start a demo.
import type { KioskLog } from '../main/session/controller.ts';
import { kioskServiceOf } from '../main/runtime/kiosk-runtime.ts';
import type { KioskService } from '../main/runtime/kiosk-runtime.ts';
import { startDemoKiosk } from './demo-kiosk.ts';

export async function startElectronDemo(log: KioskLog): Promise<KioskService> {
  const kiosk = await startDemoKiosk({ log: (line) => log('demo', { line }) }, { log });
  return kioskServiceOf(kiosk.runtime, {}, () => kiosk.demo.stop());
}

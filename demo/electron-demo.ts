// `npm start -- --demo`: the Electron kiosk with the demo environment (embedded issuer trusting the demo PKI,
// virtual card when no reader holds a card). Bundled on its own as out/electron/demo.mjs, which main.mjs loads
// only for --demo and electron-builder leaves out of the package: a deployed kiosk cannot start a demo.
import type { KioskLog } from '../main/session/controller.ts';
import { startKioskRuntime } from '../main/runtime/kiosk-runtime.ts';
import type { KioskService } from '../main/runtime/kiosk-runtime.ts';
import { startDemoEnvironment } from './demo-environment.ts';

export async function startElectronDemo(log: KioskLog): Promise<KioskService> {
  const demo = await startDemoEnvironment({ log: (line) => log('demo', { line }) });
  let runtime;
  try {
    runtime = await startKioskRuntime({
      issuerUrl: demo.issuer.url,
      issuerTrustPem: demo.issuer.tlsCertificatePem,
      card: demo.card,
      virtualCard: demo.virtualCard,
      log,
    });
  } catch (error: unknown) {
    await demo.stop();
    throw error;
  }
  const controller = runtime.controller;
  return {
    handlers: controller.handlers,
    get view() {
      return controller.view;
    },
    onView: (listener) => controller.onView(listener),
    stop: async () => {
      await runtime.stop();
      await demo.stop();
    },
  };
}

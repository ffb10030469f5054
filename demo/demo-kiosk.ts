// The demo environment with a kiosk runtime on it: what every demo host (browser, Electron) starts, and stops
// together. Nothing is left running when the runtime fails to start.
import { startKioskRuntime } from '../main/runtime/kiosk-runtime.ts';
import type { KioskRuntime, KioskRuntimeOptions } from '../main/runtime/kiosk-runtime.ts';
import { startDemoEnvironment } from './demo-environment.ts';
import type { DemoEnvironment, DemoEnvironmentOptions } from './demo-environment.ts';

/** How the runtime differs from the demo's defaults (issuer, its TLS trust and the cards come from the demo). */
export type DemoRuntimeOptions = Omit<KioskRuntimeOptions, 'issuerUrl' | 'issuerTrustPem' | 'card' | 'virtualCard'>;

export interface DemoKiosk {
  readonly demo: DemoEnvironment;
  readonly runtime: KioskRuntime;
  /** Stops the runtime, then the demo environment. */
  stop(): Promise<void>;
}

export async function startDemoKiosk(
  demoOptions: DemoEnvironmentOptions,
  runtimeOptions: DemoRuntimeOptions = {},
): Promise<DemoKiosk> {
  const demo = await startDemoEnvironment(demoOptions);
  try {
    const runtime = await startKioskRuntime({
      ...runtimeOptions,
      issuerUrl: demo.issuer.url,
      issuerTrustPem: demo.issuer.tlsCertificatePem,
      card: demo.card,
      virtualCard: demo.virtualCard,
    });
    return {
      demo,
      runtime,
      stop: async () => {
        await runtime.stop();
        await demo.stop();
      },
    };
  } catch (error: unknown) {
    await demo.stop();
    throw error;
  }
}

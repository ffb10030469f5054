// The demo environment with a kiosk runtime on it: what every demo host (browser, Electron) starts, and stops
// together. Nothing is left running when the runtime fails to start.
import type { KioskCardPort } from '../main/card/card-port.ts';
import { startKioskRuntime } from '../main/runtime/kiosk-runtime.ts';
import type { KioskRuntime, KioskRuntimeOptions } from '../main/runtime/kiosk-runtime.ts';
import { startDemoEnvironment } from './demo-environment.ts';
import { join } from 'node:path';
import { loadOrCreateKioskIdentity } from '../main/identity/kiosk-identity.ts';
import type { KioskIdentity } from '../main/identity/kiosk-identity.ts';
import { registerKiosk } from '../issuer/kiosks/kiosk-registry.ts';
import type { DemoEnvironment, DemoEnvironmentOptions } from './demo-environment.ts';

/** The demo kiosk's name on its embedded issuer. */
export const DEMO_KIOSK_NAME = 'demo-kiosk';

/**
 * The demo's kiosk identity, registered with its embedded issuer as an administrator would (`dck admin kiosks add`),
 * so the demo's kiosk signs its calls and heartbeats as a deployed one does.
 */
async function registeredDemoKiosk(demo: DemoEnvironment): Promise<KioskIdentity> {
  const identity = loadOrCreateKioskIdentity(join(demo.dataDir, 'demo-kiosk.key.pem'), DEMO_KIOSK_NAME);
  const { storage } = demo.issuer;
  if ((await storage.findKiosk(DEMO_KIOSK_NAME)) === null)
    await registerKiosk(storage, DEMO_KIOSK_NAME, identity.publicKeyPem, 'demo', new Date());
  return identity;
}

/** How the runtime differs from the demo's defaults (issuer, its TLS trust and the cards come from the demo). */
export type DemoRuntimeOptions = Omit<KioskRuntimeOptions, 'issuerUrl' | 'issuerTrustPem' | 'card' | 'virtualCard'>;

export interface DemoKiosk {
  readonly demo: DemoEnvironment;
  readonly runtime: KioskRuntime;
  /** Stops the runtime, then the demo environment. */
  stop(): Promise<void>;
}

/**
 * A kiosk runtime on a running demo environment (its issuer, its virtual card), reading `card`: the demo's own port
 * by default, or one bound to another reader (demo-help-desk.ts: the kiosk and the console on one pcscd).
 */
export async function startKioskRuntimeOn(
  demo: DemoEnvironment,
  runtimeOptions: DemoRuntimeOptions = {},
  card: KioskCardPort = demo.card,
): Promise<KioskRuntime> {
  return startKioskRuntime({
    identity: runtimeOptions.identity ?? (await registeredDemoKiosk(demo)),
    ...runtimeOptions,
    issuerUrl: demo.issuer.url,
    issuerTrustPem: demo.issuer.tlsCertificatePem,
    card,
    virtualCard: demo.virtualCard,
  });
}

export async function startDemoKiosk(
  demoOptions: DemoEnvironmentOptions,
  runtimeOptions: DemoRuntimeOptions = {},
): Promise<DemoKiosk> {
  const demo = await startDemoEnvironment(demoOptions);
  try {
    const runtime = await startKioskRuntimeOn(demo, runtimeOptions);
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

// The whole kiosk in a browser: demo environment (embedded issuer, virtual card when needed) + controller +
// browser host. `dck kiosk --browser`, the end-to-end tests and the benchmark start exactly this; the help-desk demo
// (demo-help-desk.ts) starts the same kiosk on an environment it shares with the agent console.
import { RENDERER_DIST } from '../build/renderer-build.ts';
import type { KioskCardPort } from '../main/card/card-port.ts';
import { startBrowserHost } from '../main/browser-host/browser-host.ts';
import type { RunningBrowserHost } from '../main/browser-host/browser-host.ts';
import { kioskHostScript } from '../main/browser-host/kiosk-host-bundle.ts';
import type { KioskLog } from '../main/session/controller.ts';
import type { SessionConfig } from '../main/session/state.ts';
import { startDemoEnvironment } from './demo-environment.ts';
import type { DemoEnvironment, DemoEnvironmentOptions } from './demo-environment.ts';
import { startKioskRuntimeOn } from './demo-kiosk.ts';
import type { KioskRuntime } from '../main/runtime/kiosk-runtime.ts';

/** How the kiosk and its browser host differ from the defaults. */
export interface KioskInBrowserOptions {
  readonly port?: number;
  readonly session?: Partial<SessionConfig>;
  readonly completionWaitSeconds?: number;
  readonly rendererDir?: string;
  readonly kioskLog?: KioskLog;
}

export interface BrowserKioskOptions extends DemoEnvironmentOptions, KioskInBrowserOptions {}

/** The kiosk runtime and its browser host, on an environment someone else owns. */
export interface KioskInBrowser {
  readonly runtime: KioskRuntime;
  readonly host: RunningBrowserHost;
  /** Stops the host and the runtime (with its card port); the environment stays. */
  stop(): Promise<void>;
}

export interface BrowserKiosk extends KioskInBrowser {
  readonly demo: DemoEnvironment;
}

/** The kiosk in a browser on a running demo environment, reading `card`. */
export async function startBrowserKioskOn(
  demo: DemoEnvironment,
  card: KioskCardPort,
  options: KioskInBrowserOptions = {},
): Promise<KioskInBrowser> {
  const runtime = await startKioskRuntimeOn(
    demo,
    {
      ...(options.session === undefined ? {} : { session: options.session }),
      ...(options.completionWaitSeconds === undefined ? {} : { completionWaitSeconds: options.completionWaitSeconds }),
      ...(options.kioskLog === undefined ? {} : { log: options.kioskLog }),
    },
    card,
  );
  try {
    const controller = runtime.controller;
    const host = await startBrowserHost({
      handlers: controller.handlers,
      subscribeViews: (listener) => controller.onView(listener),
      rendererDir: options.rendererDir ?? RENDERER_DIST,
      kioskHostScript: await kioskHostScript(),
      ...(options.port === undefined ? {} : { port: options.port }),
    });
    return {
      runtime,
      host,
      stop: async () => {
        await host.close();
        await runtime.stop();
      },
    };
  } catch (error: unknown) {
    await runtime.stop();
    throw error;
  }
}

export async function startBrowserKiosk(options: BrowserKioskOptions = {}): Promise<BrowserKiosk> {
  const demo = await startDemoEnvironment(options);
  try {
    const kiosk = await startBrowserKioskOn(demo, demo.card, options);
    return {
      demo,
      runtime: kiosk.runtime,
      host: kiosk.host,
      stop: async () => {
        await kiosk.stop();
        await demo.stop();
      },
    };
  } catch (error: unknown) {
    await demo.stop();
    throw error;
  }
}

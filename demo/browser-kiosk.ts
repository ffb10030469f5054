// The whole kiosk in a browser: demo environment (embedded issuer, virtual card when needed) + controller +
// browser host. `dck kiosk --browser`, the end-to-end tests and the benchmark start exactly this.
import { RENDERER_DIST } from '../build/renderer-build.ts';
import { startBrowserHost } from '../main/browser-host/browser-host.ts';
import type { RunningBrowserHost } from '../main/browser-host/browser-host.ts';
import { kioskHostScript } from '../main/browser-host/kiosk-host-bundle.ts';
import type { KioskLog } from '../main/session/controller.ts';
import type { SessionConfig } from '../main/session/state.ts';
import type { DemoEnvironment, DemoEnvironmentOptions } from './demo-environment.ts';
import { startDemoKiosk } from './demo-kiosk.ts';
import type { KioskRuntime } from '../main/runtime/kiosk-runtime.ts';

export interface BrowserKioskOptions extends DemoEnvironmentOptions {
  readonly port?: number;
  readonly session?: Partial<SessionConfig>;
  readonly completionWaitSeconds?: number;
  readonly rendererDir?: string;
  readonly kioskLog?: KioskLog;
}

export interface BrowserKiosk {
  readonly demo: DemoEnvironment;
  readonly runtime: KioskRuntime;
  readonly host: RunningBrowserHost;
  stop(): Promise<void>;
}

export async function startBrowserKiosk(options: BrowserKioskOptions = {}): Promise<BrowserKiosk> {
  const kiosk = await startDemoKiosk(options, {
    ...(options.session === undefined ? {} : { session: options.session }),
    ...(options.completionWaitSeconds === undefined ? {} : { completionWaitSeconds: options.completionWaitSeconds }),
    ...(options.kioskLog === undefined ? {} : { log: options.kioskLog }),
  });
  try {
    const controller = kiosk.runtime.controller;
    const host = await startBrowserHost({
      handlers: controller.handlers,
      subscribeViews: (listener) => controller.onView(listener),
      rendererDir: options.rendererDir ?? RENDERER_DIST,
      kioskHostScript: await kioskHostScript(),
      ...(options.port === undefined ? {} : { port: options.port }),
    });
    return {
      demo: kiosk.demo,
      runtime: kiosk.runtime,
      host,
      stop: async () => {
        await host.close();
        await kiosk.stop();
      },
    };
  } catch (error: unknown) {
    await kiosk.stop();
    throw error;
  }
}

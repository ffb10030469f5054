// The whole kiosk in a browser: demo environment (embedded issuer, virtual card when needed) + controller +
// browser host. `dck kiosk --browser`, the end-to-end tests and the benchmark start exactly this.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startBrowserHost } from '../browser-host/browser-host.ts';
import type { RunningBrowserHost } from '../browser-host/browser-host.ts';
import { kioskHostScript } from '../browser-host/kiosk-host-bundle.ts';
import type { KioskLog } from '../session/controller.ts';
import type { SessionConfig } from '../session/state.ts';
import { startDemoEnvironment } from './demo-environment.ts';
import type { DemoEnvironment, DemoEnvironmentOptions } from './demo-environment.ts';
import { startKioskRuntime } from './kiosk-runtime.ts';
import type { KioskRuntime } from './kiosk-runtime.ts';

export const RENDERER_DIST = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));

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

/** True when renderer/dist holds a build (index.html and at least one script). */
export function rendererBuilt(dir = RENDERER_DIST): boolean {
  const assets = `${dir}assets`;
  return existsSync(`${dir}index.html`) && existsSync(assets) && readdirSync(assets).some((file) => file.endsWith('.js'));
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Builds the renderer with Vite (renderer/ → renderer/dist/) unless a build is already there. */
export function ensureRendererBuilt(onBuild: () => void = () => undefined): Promise<void> {
  if (rendererBuilt()) return Promise.resolve();
  onBuild();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${REPO_ROOT}node_modules/vite/bin/vite.js`, 'build', '--logLevel', 'warn'], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build failed (exit ${code ?? 'signal'})`))));
  });
}

export async function startBrowserKiosk(options: BrowserKioskOptions = {}): Promise<BrowserKiosk> {
  const demo = await startDemoEnvironment(options);
  let runtime: KioskRuntime | null = null;
  try {
    runtime = await startKioskRuntime({
      issuerUrl: demo.issuer.url,
      issuerTrustPem: demo.issuer.tlsCertificatePem,
      card: demo.card,
      virtualCard: demo.virtualCard,
      ...(options.session === undefined ? {} : { session: options.session }),
      ...(options.completionWaitSeconds === undefined ? {} : { completionWaitSeconds: options.completionWaitSeconds }),
      ...(options.kioskLog === undefined ? {} : { log: options.kioskLog }),
    });
    const controller = runtime.controller;
    const host = await startBrowserHost({
      handlers: controller.handlers,
      subscribeViews: (listener) => controller.onView(listener),
      rendererDir: options.rendererDir ?? RENDERER_DIST,
      kioskHostScript: await kioskHostScript(),
      ...(options.port === undefined ? {} : { port: options.port }),
    });
    const started = runtime;
    return {
      demo,
      runtime: started,
      host,
      stop: async () => {
        await host.close();
        await started.stop();
        await demo.stop();
      },
    };
  } catch (error: unknown) {
    await runtime?.stop();
    await demo.stop();
    throw error;
  }
}

// The agent console in a browser: the console service (console-service.ts: the agent's card in a reader, the issuer
// over HTTPS) and the browser host serving agent.html. `dck agent --browser` starts this against a configured
// issuer; the demo (demo/demo-console.ts) starts it against the embedded issuer with a virtual agent card.
import { startConsoleBrowserHost } from '../browser-host/browser-host.ts';
import type { RunningBrowserHost } from '../browser-host/browser-host.ts';
import { consoleHostScript } from '../browser-host/kiosk-host-bundle.ts';
import type { ConsoleController } from './console-controller.ts';
import { startConsoleService } from './console-service.ts';
import type { ConsoleServiceOptions } from './console-service.ts';

export interface BrowserConsoleOptions extends ConsoleServiceOptions {
  readonly rendererDir: string;
  readonly port?: number;
}

export interface BrowserConsole {
  readonly host: RunningBrowserHost;
  readonly controller: ConsoleController;
  stop(): Promise<void>;
}

export async function startBrowserConsole(options: BrowserConsoleOptions): Promise<BrowserConsole> {
  const service = startConsoleService(options);
  const { controller } = service;
  try {
    const host = await startConsoleBrowserHost({
      handlers: controller.handlers,
      subscribeViews: (listener) => controller.onView(listener),
      rendererDir: options.rendererDir,
      consoleHostScript: await consoleHostScript(),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    return {
      host,
      controller,
      stop: async () => {
        await host.close();
        await service.stop();
      },
    };
  } catch (error: unknown) {
    await service.stop();
    throw error;
  }
}

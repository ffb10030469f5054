// The agent console in a browser: the console controller (the agent's card in a reader, the issuer over HTTPS) and
// the browser host serving agent.html. `dck agent --browser` starts this against a configured issuer; the demo
// (demo/demo-console.ts) starts it against the embedded issuer with a virtual agent card.
import type { KioskCardPort } from '../card/card-port.ts';
import { startConsoleBrowserHost } from '../browser-host/browser-host.ts';
import type { RunningBrowserHost } from '../browser-host/browser-host.ts';
import { consoleHostScript } from '../browser-host/kiosk-host-bundle.ts';
import { HttpsIssuerClient } from '../issuer-client/https-issuer-client.ts';
import { createConsoleController } from './console-controller.ts';
import type { ConsoleController, ConsoleLog } from './console-controller.ts';
import { createQueueFollower } from './queue-stream.ts';

export interface BrowserConsoleOptions {
  readonly card: KioskCardPort;
  /** https://host:port of the issuer. */
  readonly issuerUrl: string;
  /** PEM certificate(s) the issuer's TLS certificate must chain to. */
  readonly trustedCaPem: string;
  readonly rendererDir: string;
  readonly port?: number;
  readonly log?: ConsoleLog;
}

export interface BrowserConsole {
  readonly host: RunningBrowserHost;
  readonly controller: ConsoleController;
  stop(): Promise<void>;
}

export async function startBrowserConsole(options: BrowserConsoleOptions): Promise<BrowserConsole> {
  const issuer = new HttpsIssuerClient({
    baseUrl: options.issuerUrl,
    trustedCaPem: options.trustedCaPem,
    kioskId: 'agent-console',
  });
  const controller = createConsoleController({
    card: options.card,
    issuer,
    queue: createQueueFollower({ issuerUrl: options.issuerUrl, trustedCaPem: options.trustedCaPem }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
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
        await controller.stop();
        issuer.close();
      },
    };
  } catch (error: unknown) {
    await controller.stop();
    issuer.close();
    throw error;
  }
}

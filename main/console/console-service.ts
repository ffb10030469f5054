// The agent console's main side, whatever shows it: the console controller with its issuer client (HTTPS, the
// issuer's CA) and its live-queue follower. The browser host (browser-console.ts) and the Electron shell
// (electron/main.ts `--agent`) each put their own transport in front of it.
import type { KioskCardPort } from '../card/card-port.ts';
import { HttpsIssuerClient } from '../issuer-client/https-issuer-client.ts';
import { createConsoleController } from './console-controller.ts';
import type { ConsoleController, ConsoleLog } from './console-controller.ts';
import { createQueueFollower } from './queue-stream.ts';

export interface ConsoleServiceOptions {
  readonly card: KioskCardPort;
  /** https://host:port of the issuer. */
  readonly issuerUrl: string;
  /** PEM certificate(s) the issuer's TLS certificate must chain to. */
  readonly trustedCaPem: string;
  readonly log?: ConsoleLog;
  /** How often main reads the kiosk list (kiosk-poll.ts KIOSK_POLL_MS unless given; tests shorten it). */
  readonly kioskPollMs?: number;
}

export interface ConsoleService {
  readonly controller: ConsoleController;
  /** Stops the controller (and its card port) and closes the issuer client. */
  stop(): Promise<void>;
}

export function startConsoleService(options: ConsoleServiceOptions): ConsoleService {
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
    ...(options.kioskPollMs === undefined ? {} : { kioskPollMs: options.kioskPollMs }),
  });
  return {
    controller,
    stop: async () => {
      await controller.stop();
      issuer.close();
    },
  };
}

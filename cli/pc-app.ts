// `dck pc --browser`: the desktop app's "Set up this PC" screens (renderer/pc/) in Chromium through the browser host,
// over the same steps as `dck pc enroll|renew|remove` (main/this-pc/pc-setup.ts: state file, token, key store, NSS
// or Windows' certreq, renewal reminder). The card is read from this machine's readers by the kiosk's card port;
// its PIN comes from the page's keypad, once, and is wiped in main after VERIFY.
//
// The steps are `dck pc`'s own (main/this-pc/pc-setup.ts, no printing), mapped onto the screens by
// main/this-pc/pc-app-operations.ts; the options' rules are main/this-pc/pc-app-settings.ts (Electron's `--pc` shares
// both). This file is the browser host's wiring and the command line.
//
// Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 could not start, 2 wrong command line.
import { ensureRendererBuilt, RENDERER_DIST } from '../build/renderer-build.ts';
import { startPcBrowserHost } from '../main/browser-host/browser-host.ts';
import type { RunningBrowserHost } from '../main/browser-host/browser-host.ts';
import { pcHostScript } from '../main/browser-host/kiosk-host-bundle.ts';
import type { KioskCardPort } from '../main/card/card-port.ts';
import { createPcscCardPort } from '../main/card/pcsc-card-port.ts';
import { pcOperations } from '../main/this-pc/pc-app-operations.ts';
import { pcAppSettings } from '../main/this-pc/pc-app-settings.ts';
import type { PcAppSettings } from '../main/this-pc/pc-app-settings.ts';
import { createPcController } from '../main/this-pc/pc-controller.ts';
import type { PcLog } from '../main/this-pc/pc-controller.ts';
import { defaultPcStateDir } from '../main/this-pc/pc-state.ts';
import { createSmartCardService } from '../native/pcsc/index.ts';
import { integerOption, parseArgs, UsageError } from './args.ts';
import { eventLogLine, runBrowserSession } from './browser-session.ts';

const USAGE = `usage: dck pc --browser [--issuer URL --ca FILE] [--store tpm|software] [--state DIR]
                        [--nss-db DIR|none] [--systemd-dir DIR] [--no-open] [--port PORT]

The app's "Set up this PC" screens in Chromium: what this PC holds (expiry, renewal due), Set up / Renew with the
card in this machine's reader and its PIN on the screen's keypad, Remove (asks first). --issuer and --ca are needed
for the first set-up only (later runs use the ones it saved). The other options are \`dck pc enroll\`'s.
The launch URL carries a single-use token (as \`dck kiosk\`). Stop with Ctrl-C.`;

const OPTIONS = {
  '--issuer': 'value',
  '--ca': 'value',
  '--store': 'value',
  '--state': 'value',
  '--nss-db': 'value',
  '--systemd-dir': 'value',
  '--no-open': 'flag',
  '--port': 'value',
} as const;

export interface RunningPcApp {
  readonly host: RunningBrowserHost;
  stop(): Promise<void>;
}

/** The controller and the browser host serving pc.html; `card` is the kiosk's card port (tests: a private pcscd). */
export async function startPcApp(
  settings: PcAppSettings,
  card: KioskCardPort,
  options: { readonly port?: number; readonly log?: PcLog } = {},
): Promise<RunningPcApp> {
  const controller = createPcController({
    card,
    operations: pcOperations(settings),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  try {
    const host = await startPcBrowserHost({
      handlers: controller.handlers,
      subscribeViews: (listener) => controller.onView(listener),
      rendererDir: RENDERER_DIST,
      pcHostScript: await pcHostScript(),
      ...options,
    });
    return {
      host,
      stop: async () => {
        await host.close();
        await controller.stop();
      },
    };
  } catch (error) {
    await controller.stop();
    throw error;
  }
}

export async function runPcApp(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let settings: PcAppSettings;
  let port: number | undefined;
  let open: boolean;
  try {
    const values = parseArgs(args, OPTIONS, 'dck pc --browser');
    const read = pcAppSettings(values, defaultPcStateDir());
    if (!read.ok) throw new UsageError(read.problem);
    port = integerOption(values['--port'], '--port', 1, 65535);
    open = values['--no-open'] !== true;
    settings = read.settings;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`dck pc --browser: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  await ensureRendererBuilt(() => console.log('building the UI (vite build)…'));
  let running: RunningPcApp;
  try {
    running = await startPcApp(settings, createPcscCardPort(createSmartCardService()), {
      ...(port === undefined ? {} : { port }),
      log: eventLogLine('this pc'),
    });
  } catch (error) {
    console.error(`dck pc --browser: could not start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  return runBrowserSession({ label: 'this PC', host: running.host, open, stop: () => running.stop() });
}

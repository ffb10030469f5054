// `dck kiosk --browser`: the whole kiosk on this machine in Chromium — embedded issuer (demo PKI trusted), the
// demo virtual card when no reader holds a card, the browser host on 127.0.0.1, and Chromium opened at the
// launch URL. `npm start` runs the same kiosk in Electron where its binary is installed.
//
// Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 could not start, 2 wrong command line.
import { ensureRendererBuilt } from '../../build/renderer-build.ts';
import { startBrowserKiosk } from '../../demo/browser-kiosk.ts';
import type { BrowserKiosk } from '../../demo/browser-kiosk.ts';
import { ReaderChoiceError } from '../../main/card/reader-binding.ts';
import { isSmartCardError } from '../../native/pcsc/index.ts';
import { isProfileName, PROFILE_NAMES } from '../../virtual-card/profiles.ts';
import { integerOption, parseArgs, readerOption, UsageError } from '../args.ts';
import { eventLogLine, runBrowserSession } from '../browser-session.ts';
import type { ProfileName } from '../../virtual-card/profiles.ts';

export const summary = 'run the kiosk in Chromium (browser host, embedded issuer, virtual card)';

const USAGE = `usage: dck kiosk --browser [--no-open] [--port PORT] [--profile NAME] [--virtual-card auto|always|never]
                 [--idle SECONDS] [--data-dir DIR] [--reader NAME]

  --browser          serve the kiosk UI on 127.0.0.1 and open Chromium at it (the only mode of this command;
                     Electron: \`npm start\`)
  --no-open          print the launch URL instead of opening Chromium
  --port PORT        port of the browser host (default: any free port)
  --profile NAME     virtual card profile: ${PROFILE_NAMES.join(', ')} (default p256)
  --virtual-card M   auto (default: only when no reader holds a card), always, never
  --idle SECONDS     idle time before "Still there?" (default 60)
  --data-dir DIR     keep the embedded issuer's database/CA here (default: a temp dir removed at exit)
  --reader NAME      use only this reader (its exact name, as \`dck card list\` shows it); others are ignored.
                     With the demo virtual card its readers are "Virtual PCD 00 00" and "Virtual PCD 00 01"

The launch URL carries a single-use token: its first visit sets the HttpOnly session cookie the kiosk page
needs; later visits are refused. Chromium is opened through a private local page, so the token is never on
its command line.
Stop with Ctrl-C.`;

interface Options {
  readonly open: boolean;
  readonly port?: number;
  readonly profile: ProfileName;
  readonly virtualCard: 'auto' | 'always' | 'never';
  readonly idleSeconds?: number;
  readonly dataDir?: string;
  readonly reader?: string;
}

function parseOptions(args: string[]): Options {
  const parsed = parseArgs(
    args,
    {
      '--browser': 'flag',
      '--no-open': 'flag',
      '--port': 'value',
      '--idle': 'value',
      '--data-dir': 'value',
      '--profile': 'value',
      '--virtual-card': 'value',
      '--reader': 'value',
    },
    'dck kiosk',
  );
  if (parsed['--browser'] !== true)
    throw new UsageError('only --browser is available here; run the Electron kiosk with `npm start`');
  const profile = parsed['--profile'] ?? 'p256';
  if (!isProfileName(profile)) throw new UsageError(`--profile must be one of ${PROFILE_NAMES.join(', ')}`);
  const virtualCard = parsed['--virtual-card'] ?? 'auto';
  if (virtualCard !== 'auto' && virtualCard !== 'always' && virtualCard !== 'never')
    throw new UsageError('--virtual-card must be auto, always or never');
  const port = integerOption(parsed['--port'], '--port', 1, 65535);
  const idleSeconds = integerOption(parsed['--idle'], '--idle', 5, 3600);
  const dataDir = parsed['--data-dir'];
  const reader = readerOption(parsed['--reader']);
  return {
    open: parsed['--no-open'] !== true,
    profile,
    virtualCard,
    ...(port === undefined ? {} : { port }),
    ...(idleSeconds === undefined ? {} : { idleSeconds }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(reader === undefined ? {} : { reader }),
  };
}

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let options: Options;
  try {
    options = parseOptions(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`dck kiosk: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  await ensureRendererBuilt(() => console.log('building the kiosk UI (vite build)…'));
  let kiosk: BrowserKiosk;
  try {
    kiosk = await startBrowserKiosk({
      virtualCard: options.virtualCard,
      profile: options.profile,
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.reader === undefined ? {} : { reader: options.reader }),
      ...(options.idleSeconds === undefined ? {} : { session: { idleSeconds: options.idleSeconds } }),
      log: (line) => console.log(line),
      // One line per session step (card in, PIN checked, signed in, …): event names and outcomes, never a secret.
      kioskLog: eventLogLine('kiosk'),
    });
  } catch (error) {
    if (!(error instanceof ReaderChoiceError || isSmartCardError(error))) throw error;
    console.error(`dck kiosk: could not start: ${error.message}`);
    return 1;
  }
  return runBrowserSession({
    label: 'kiosk',
    host: kiosk.host,
    open: options.open,
    notes: [
      ...(kiosk.demo.virtualCard === null
        ? []
        : ['No card in a reader: the welcome screen offers the demo virtual card (PIN 123456).']),
      `Play the phone in another terminal:\n  node bin/dck.js phone start --issuer ${kiosk.demo.issuer.url} --ca ${kiosk.demo.issuerCaFile}`,
    ],
    stop: () => kiosk.stop(),
  });
}

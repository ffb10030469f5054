// `dck agent --browser`: the help-desk agent console in Chromium through the browser host, against a configured
// issuer (`--issuer URL --ca FILE`) with the agent's card in a reader of this machine, or with `--demo` against the
// embedded demo issuer and a virtual agent card (Dana Desk, PIN 123456, helpdesk + approver).
//
// Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 could not start, 2 wrong command line.
import { readFileSync } from 'node:fs';
import { ensureRendererBuilt, RENDERER_DIST } from '../../build/renderer-build.ts';
import { startDemoConsole } from '../../demo/demo-console.ts';
import { createPcscCardPort } from '../../main/card/pcsc-card-port.ts';
import { cardPortOnReader } from '../../main/card/reader-binding.ts';
import { startBrowserConsole } from '../../main/console/browser-console.ts';
import type { RunningBrowserHost } from '../../main/browser-host/browser-host.ts';
import { createSmartCardService } from '../../native/pcsc/index.ts';
import { integerOption, parseArgs, readerOption, UsageError } from '../args.ts';
import { eventLogLine, runBrowserSession } from '../browser-session.ts';

export const summary = 'run the help-desk agent console in Chromium (browser host; --demo: embedded issuer)';

const USAGE = `usage: dck agent --browser (--issuer URL --ca FILE | --demo) [--reader NAME] [--no-open] [--port PORT]
                 [--data-dir DIR]

  --browser          serve the agent console on 127.0.0.1 and open Chromium at it (the only mode today)
  --issuer URL       the issuer (https://host:port); the agent's card is read from this machine's readers
  --ca FILE          PEM certificate(s) the issuer's TLS certificate must chain to
  --demo             instead: the embedded demo issuer and a virtual agent card in a private reader
                     (Dana Desk, PIN 123456, roles helpdesk and approver)
  --reader NAME      read the agent's card from this reader only (its exact name, as \`dck card list\` shows it):
                     a person's card in another reader of this machine (a kiosk beside it) is left alone
  --no-open          print the launch URL instead of opening Chromium
  --port PORT        port of the browser host (default: any free port)
  --data-dir DIR     --demo: keep the embedded issuer's database/CA here (default: a temp dir removed at exit)

The launch URL carries a single-use token (as \`dck kiosk\`). The agent's session token stays in this process.
Taking the agent's card out of the reader locks the console and signs the agent out. Stop with Ctrl-C.`;

interface CommonOptions {
  readonly open: boolean;
  readonly port?: number;
  readonly reader?: string;
}
type Options =
  | (CommonOptions & { readonly mode: 'demo'; readonly dataDir?: string })
  | (CommonOptions & { readonly mode: 'issuer'; readonly issuerUrl: string; readonly caFile: string });

function parseOptions(args: string[]): Options {
  const parsed = parseArgs(
    args,
    {
      '--browser': 'flag',
      '--demo': 'flag',
      '--no-open': 'flag',
      '--issuer': 'value',
      '--ca': 'value',
      '--port': 'value',
      '--data-dir': 'value',
      '--reader': 'value',
    },
    'dck agent',
  );
  if (parsed['--browser'] !== true)
    throw new UsageError('only --browser is available (the Electron console is not built yet)');
  const port = integerOption(parsed['--port'], '--port', 1, 65535);
  const reader = readerOption(parsed['--reader']);
  const common = {
    open: parsed['--no-open'] !== true,
    ...(port === undefined ? {} : { port }),
    ...(reader === undefined ? {} : { reader }),
  };
  if (parsed['--demo'] === true) {
    if (parsed['--issuer'] !== undefined || parsed['--ca'] !== undefined)
      throw new UsageError('--demo starts its own issuer: leave out --issuer and --ca');
    const dataDir = parsed['--data-dir'];
    return { mode: 'demo', ...common, ...(dataDir === undefined ? {} : { dataDir }) };
  }
  const issuerUrl = parsed['--issuer'];
  const caFile = parsed['--ca'];
  if (issuerUrl === undefined || caFile === undefined)
    throw new UsageError('give --issuer URL and --ca FILE, or --demo');
  if (parsed['--data-dir'] !== undefined) throw new UsageError('--data-dir goes with --demo only');
  return { mode: 'issuer', ...common, issuerUrl, caFile };
}

const logLine = eventLogLine('console');

async function start(options: Options): Promise<{ host: RunningBrowserHost; stop: () => Promise<void> }> {
  if (options.mode === 'demo') {
    const started = await startDemoConsole({
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.reader === undefined ? {} : { reader: options.reader }),
      log: (line) => console.log(line),
      consoleLog: logLine,
    });
    console.log('Demo: the virtual agent card (Dana Desk) is in its reader; PIN 123456.');
    return { host: started.console.host, stop: () => started.stop() };
  }
  const card =
    options.reader === undefined
      ? createPcscCardPort(createSmartCardService())
      : await cardPortOnReader(createSmartCardService(), options.reader);
  const started = await startBrowserConsole({
    card,
    issuerUrl: options.issuerUrl,
    trustedCaPem: readFileSync(options.caFile, 'utf8'),
    rendererDir: RENDERER_DIST,
    ...(options.port === undefined ? {} : { port: options.port }),
    log: logLine,
  });
  // Stopping the console stops its card port too.
  return { host: started.host, stop: () => started.stop() };
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
    console.error(`dck agent: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  await ensureRendererBuilt(() => console.log('building the UI (vite build)…'));
  let running: { host: RunningBrowserHost; stop: () => Promise<void> };
  try {
    running = await start(options);
  } catch (error) {
    console.error(`dck agent: could not start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  return runBrowserSession({
    label: 'agent console',
    host: running.host,
    open: options.open,
    stop: () => running.stop(),
  });
}

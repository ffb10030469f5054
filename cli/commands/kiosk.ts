// `dck kiosk --browser`: the whole kiosk on this machine in Chromium — embedded issuer (demo PKI trusted), the
// demo virtual card when no reader holds a card, the browser host on 127.0.0.1, and Chromium opened at the
// launch URL. `npm start` runs the same kiosk in Electron where its binary is installed.
//
// Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 could not start, 2 wrong command line.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRendererBuilt } from '../../build/renderer-build.ts';
import { startBrowserKiosk } from '../../demo/browser-kiosk.ts';
import { isProfileName, PROFILE_NAMES } from '../../virtual-card/profiles.ts';
import type { ProfileName } from '../../virtual-card/profiles.ts';

export const summary = 'run the kiosk in Chromium (browser host, embedded issuer, virtual card)';

const USAGE = `usage: dck kiosk --browser [--no-open] [--port PORT] [--profile NAME] [--virtual-card auto|always|never]
                 [--idle SECONDS] [--data-dir DIR]

  --browser          serve the kiosk UI on 127.0.0.1 and open Chromium at it (the only mode of this command;
                     Electron: \`npm start\`)
  --no-open          print the launch URL instead of opening Chromium
  --port PORT        port of the browser host (default: any free port)
  --profile NAME     virtual card profile: ${PROFILE_NAMES.join(', ')} (default p256)
  --virtual-card M   auto (default: only when no reader holds a card), always, never
  --idle SECONDS     idle time before "Still there?" (default 60)
  --data-dir DIR     keep the embedded issuer's database/CA here (default: a temp dir removed at exit)

The launch URL carries a per-launch secret: opening it sets an HttpOnly cookie the kiosk page needs.
Stop with Ctrl-C.`;

const CHROMIUM = '/usr/bin/chromium';

interface Options {
  open: boolean;
  port?: number;
  profile: ProfileName;
  virtualCard: 'auto' | 'always' | 'never';
  idleSeconds?: number;
  dataDir?: string;
}

class UsageError extends Error {}

function parseInteger(value: string | undefined, name: string, min: number, max: number): number {
  const parsed = Number(value);
  if (value === undefined || !/^[0-9]{1,6}$/.test(value) || parsed < min || parsed > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return parsed;
}

function parseOptions(args: string[]): Options {
  const options: Options = { open: true, profile: 'p256', virtualCard: 'auto' };
  let browser = false;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const value = (): string | undefined => args[++i];
    switch (arg) {
      case '--browser': browser = true; break;
      case '--no-open': options.open = false; break;
      case '--port': options.port = parseInteger(value(), '--port', 1, 65535); break;
      case '--idle': options.idleSeconds = parseInteger(value(), '--idle', 5, 3600); break;
      case '--data-dir': {
        const dir = value();
        if (dir === undefined || dir.length > 4096) throw new UsageError('--data-dir needs a directory');
        options.dataDir = dir;
        break;
      }
      case '--profile': {
        const name = value() ?? '';
        if (!isProfileName(name)) throw new UsageError(`--profile must be one of ${PROFILE_NAMES.join(', ')}`);
        options.profile = name;
        break;
      }
      case '--virtual-card': {
        const mode = value();
        if (mode !== 'auto' && mode !== 'always' && mode !== 'never') throw new UsageError('--virtual-card must be auto, always or never');
        options.virtualCard = mode;
        break;
      }
      default:
        throw new UsageError(`unknown option ${arg.slice(0, 40)}`);
    }
  }
  if (!browser) throw new UsageError('only --browser is available here; run the Electron kiosk with `npm start`');
  return options;
}

function openChromium(url: string): (() => void) | null {
  if (!existsSync(CHROMIUM)) {
    console.log(`Chromium not found at ${CHROMIUM}; open the launch URL in a Chromium-based browser.`);
    return null;
  }
  const profileDir = mkdtempSync(join(tmpdir(), 'dck-kiosk-chromium-'));
  const child = spawn(CHROMIUM, [`--user-data-dir=${profileDir}`, '--no-first-run', '--disable-sync', `--app=${url}`], { stdio: 'ignore' });
  child.on('error', (error) => console.error(`could not start Chromium: ${error.message}`));
  return () => {
    child.kill('SIGTERM');
    rmSync(profileDir, { recursive: true, force: true });
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
  const kiosk = await startBrowserKiosk({
    virtualCard: options.virtualCard,
    profile: options.profile,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.idleSeconds === undefined ? {} : { session: { idleSeconds: options.idleSeconds } }),
    log: (line) => console.log(line),
  });
  console.log(`kiosk: ${kiosk.host.launchUrl}`);
  if (kiosk.demo.virtualCard !== null) console.log('No card in a reader: the welcome screen offers the demo virtual card.');
  const closeBrowser = options.open ? openChromium(kiosk.host.launchUrl) : null;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping…');
  closeBrowser?.();
  await kiosk.stop();
  return 0;
}

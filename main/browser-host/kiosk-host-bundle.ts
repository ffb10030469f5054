// Builds /kiosk-host.js (kiosk-host-client.ts + the contract it imports) and the agent console's /agent-host.js
// (console-host-client.ts) and "Set up this PC"'s /pc-host.js (pc-host-client.ts) into one classic script each with esbuild.
// Done in memory at host start: a few milliseconds, and no stale build output to forget.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const CLIENT_ENTRY = fileURLToPath(new URL('./kiosk-host-client.ts', import.meta.url));
const CONSOLE_CLIENT_ENTRY = fileURLToPath(new URL('./console-host-client.ts', import.meta.url));
const PC_CLIENT_ENTRY = fileURLToPath(new URL('./pc-host-client.ts', import.meta.url));

let cached: Promise<string> | null = null;
let consoleCached: Promise<string> | null = null;
let pcCached: Promise<string> | null = null;

export function kioskHostScript(): Promise<string> {
  cached ??= bundlePageScript(CLIENT_ENTRY);
  return cached;
}

export function consoleHostScript(): Promise<string> {
  consoleCached ??= bundlePageScript(CONSOLE_CLIENT_ENTRY);
  return consoleCached;
}

/** "Set up this PC"'s /pc-host.js (pc-host-client.ts), defining window.thisPc. */
export function pcHostScript(): Promise<string> {
  pcCached ??= bundlePageScript(PC_CLIENT_ENTRY);
  return pcCached;
}

function bundlePageScript(entry: string): Promise<string> {
  return build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    legalComments: 'none',
  }).then((result) => {
    const output = result.outputFiles[0];
    if (output === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
    return output.text;
  });
}

// Builds /kiosk-host.js (kiosk-host-client.ts + the contract it imports) into one classic script with esbuild.
// Done in memory at host start: a few milliseconds, and no stale build output to forget.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const CLIENT_ENTRY = fileURLToPath(new URL('./kiosk-host-client.ts', import.meta.url));

let cached: Promise<string> | null = null;

export function kioskHostScript(): Promise<string> {
  cached ??= build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    legalComments: 'none',
  }).then((result) => {
    const output = result.outputFiles[0];
    if (output === undefined) throw new Error('esbuild produced no kiosk-host.js');
    return output.text;
  });
  return cached;
}

// Opens Chromium at the browser host without putting the launch token on Chromium's command line, where any
// local user reads it (/proc/<pid>/cmdline, `ps`). Chromium is started on a local file page instead: launch.html,
// mode 0600 inside a 0700 temp profile dir (only this user can read it), whose meta refresh navigates to the
// single-use launch URL. The host spends the token on that first visit, so the file holds a dead token afterwards;
// the whole profile dir goes when Chromium is closed (or this process ends: private-temp-dir.ts).
//
// Chosen over driving Chromium through the DevTools protocol (playwright-core): that needs a debugging pipe or
// port into the kiosk's browser for its whole life; a file page needs nothing but the file system's permissions.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createPrivateTempDir } from '../runtime/private-temp-dir.ts';

export const CHROMIUM = process.env.DCK_CHROMIUM ?? '/usr/bin/chromium';

export interface OpenedChromium {
  readonly process: ChildProcess;
  /** The URL on Chromium's command line: a file page, never the launch URL. */
  readonly startUrl: string;
  close(): void;
}

const escapeAttribute = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** Null when Chromium is not installed at CHROMIUM. `extraArgs`: e.g. --headless for tests. */
export function openChromium(launchUrl: string, extraArgs: readonly string[] = []): OpenedChromium | null {
  if (!existsSync(CHROMIUM)) return null;
  const profile = createPrivateTempDir('dck-kiosk-chromium-');
  const launchPage = join(profile.path, 'launch.html');
  writeFileSync(
    launchPage,
    `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${escapeAttribute(launchUrl)}"><title>Starting the kiosk</title>`,
    { mode: 0o600 },
  );
  const startUrl = pathToFileURL(launchPage).href;
  const child = spawn(
    CHROMIUM,
    [`--user-data-dir=${profile.path}`, '--no-first-run', '--disable-sync', ...extraArgs, `--app=${startUrl}`],
    { stdio: 'ignore' },
  );
  child.on('exit', () => profile.remove());
  return {
    process: child,
    startUrl,
    // The profile goes when Chromium has exited (it writes into it until then); 'exit' above does that.
    close: () => {
      if (child.exitCode !== null || child.signalCode !== null) profile.remove();
      else child.kill('SIGTERM');
    },
  };
}

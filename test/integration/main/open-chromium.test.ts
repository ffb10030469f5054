// `dck kiosk --browser` opens Chromium at the browser host: the launch token must never be on Chromium's command
// line (/proc/<pid>/cmdline is readable by every local user), and Chromium must still get in.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../../../contracts/kiosk-api.ts';
import type { KioskHandlers } from '../../../contracts/kiosk-api.ts';
import { startBrowserHost } from '../../../main/browser-host/browser-host.ts';
import type { RunningBrowserHost } from '../../../main/browser-host/browser-host.ts';
import { openChromium } from '../../../main/browser-host/open-chromium.ts';
import type { OpenedChromium } from '../../../main/browser-host/open-chromium.ts';
import { CHROMIUM_ARGS, chromiumAvailable } from '../../e2e/support/chromium.ts';

const handlers: KioskHandlers = {
  submitPin: () => Promise.resolve(ok(undefined)),
  submitUserCode: () => Promise.resolve(ok(undefined)),
  confirmDevice: () => Promise.resolve(ok(undefined)),
  denyDevice: () => Promise.resolve(ok(undefined)),
  renewEnrollment: () => Promise.resolve(ok(undefined)),
  cancel: () => Promise.resolve(ok(undefined)),
  stillHere: () => Promise.resolve(ok(undefined)),
  reportActivity: () => Promise.resolve(ok(undefined)),
  useVirtualCard: () => Promise.resolve(ok(undefined)),
  getConfig: () =>
    Promise.resolve(
      ok({
        languages: ['en'],
        defaultLanguage: 'en',
        helpUrl: 'https://help.example',
        displayName: 'Test',
        idleSeconds: 60,
      }),
    ),
};

let dir: string;
let host: RunningBrowserHost;
let launched: Promise<void>;
let opened: OpenedChromium | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dck-open-chromium-'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html lang="en"><head><title>t</title></head><body>fixture</body></html>',
  );
  let markLaunched = (): void => undefined;
  launched = new Promise((resolve) => {
    markLaunched = resolve;
  });
  host = await startBrowserHost({
    handlers,
    subscribeViews: () => () => undefined,
    rendererDir: dir,
    kioskHostScript: '',
    log: (event) => {
      if (event === 'browser-host-launched') markLaunched();
    },
  });
});

afterAll(async () => {
  opened?.close();
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Command lines of every process whose command line mentions `marker` (Chromium and its helpers). */
function commandLinesMentioning(marker: string): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (line.includes(marker)) lines.push(line);
    } catch {
      // The process ended while we looked.
    }
  }
  return lines;
}

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!chromiumAvailable())('opening Chromium at the browser host', () => {
  it('keeps the launch token off every Chromium command line, and Chromium still spends it', async () => {
    const launchUrl = host.launchUrl;
    const token = new URL(launchUrl).searchParams.get('launch') ?? '';
    opened = openChromium(launchUrl, [...CHROMIUM_ARGS, '--headless=new']);
    if (opened === null) throw new Error('Chromium is not installed');
    expect(opened.startUrl.startsWith('file://')).toBe(true);
    await launched; // Chromium followed the local page to the launch URL
    const profileDir = decodeURIComponent(new URL(opened.startUrl).pathname).replace(/\/launch\.html$/, '');
    const lines = commandLinesMentioning(profileDir);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain(token);
    expect(await status(launchUrl)).toBe(403); // spent by Chromium: nobody else can use it
  }, 60_000);
});

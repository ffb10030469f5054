// The browser host as a user's browser and a hostile local page see it: real HTTP server, real WebSocket,
// real Chromium. The handlers are recording stubs: this tests the transport, not the session.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Browser } from 'playwright-core';
import { ok } from '../../../contracts/kiosk-api.ts';
import type { KioskHandlers, KioskView } from '../../../contracts/kiosk-api.ts';
import { SESSION_COOKIE, startBrowserHost } from '../../../main/browser-host/browser-host.ts';
import type { RunningBrowserHost } from '../../../main/browser-host/browser-host.ts';
import { kioskHostScript } from '../../../main/browser-host/kiosk-host-bundle.ts';
import { encodeCallFrame } from '../../../main/transport/wire.ts';
import { chromiumAvailable, launchChromium } from '../../e2e/support/chromium.ts';

const welcome: KioskView = { screen: 'welcome', virtualCardOffered: true };
const pinsReceived: string[] = [];
let viewListener: ((view: KioskView) => void) | null = null;

const handlers: KioskHandlers = {
  submitPin: (pin) => {
    pinsReceived.push(Buffer.from(pin).toString('ascii'));
    return Promise.resolve(ok(undefined));
  },
  submitUserCode: () => Promise.resolve(ok(undefined)),
  confirmDevice: () => Promise.resolve(ok(undefined)),
  denyDevice: () => Promise.resolve(ok(undefined)),
  renewEnrollment: () => Promise.resolve(ok(undefined)),
  cancel: () => {
    viewListener?.({ screen: 'reading-card' });
    return Promise.resolve(ok(undefined));
  },
  stillHere: () => Promise.resolve(ok(undefined)),
  reportActivity: () => Promise.resolve(ok(undefined)),
  useVirtualCard: () => Promise.resolve(ok(undefined)),
  getConfig: () =>
    Promise.resolve(
      ok({
        languages: ['en', 'nl'],
        defaultLanguage: 'en',
        helpUrl: 'https://help.example',
        displayName: 'Test',
        idleSeconds: 60,
      }),
    ),
};

let dir: string;
let host: RunningBrowserHost;
let browser: Browser | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dck-browser-host-'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html lang="en"><head><title>t</title><script src="./kiosk-host.js"></script></head><body><main>fixture</main></body></html>',
  );
  host = await startBrowserHost({
    handlers,
    subscribeViews: (listener) => {
      viewListener = listener;
      listener(welcome);
      return () => {
        viewListener = null;
      };
    },
    rendererDir: dir,
    kioskHostScript: await kioskHostScript(),
  });
  if (chromiumAvailable()) browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${host.origin}${path}`, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const pathOf = (url: string): string => new URL(url).pathname + new URL(url).search;

async function sessionCookie(): Promise<string> {
  const answer = await get(pathOf(host.newLaunchUrl()));
  expect(answer.status).toBe(303);
  const setCookie = (answer.headers['set-cookie'] as string[])[0]!;
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  return setCookie.split(';')[0]!;
}

function openSocket(headers: Record<string, string>): Promise<{ ws: WebSocket; status: number | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${host.origin.replace('http', 'ws')}/kiosk-ws`, { headers });
    ws.on('open', () => resolve({ ws, status: null }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? 0 }));
    ws.on('error', () => resolve({ ws, status: -1 }));
  });
}

describe('browser host: who may use it', () => {
  it('refuses pages without the launch cookie, wrong launch secrets and foreign Host headers', async () => {
    expect((await get('/')).status).toBe(403);
    expect((await get('/?launch=wrong')).status).toBe(403);
    const cookie = await sessionCookie();
    expect((await get('/', { cookie })).status).toBe(200);
    expect((await get('/', { cookie: `${SESSION_COOKIE}=guess` })).status).toBe(403);
    expect((await get('/', { cookie, host: `localhost:${host.port}` })).status).toBe(421);
    expect((await get('/', { cookie, host: `evil.example:${host.port}` })).status).toBe(421);
  });

  it('a launch URL works once, and the session cookie is not its token', async () => {
    const launchUrl = host.newLaunchUrl();
    const token = new URL(launchUrl).searchParams.get('launch') ?? '';
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const first = await get(pathOf(launchUrl));
    expect(first.status).toBe(303);
    const cookie = ((first.headers['set-cookie'] as string[])[0] ?? '').split(';')[0] ?? '';
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
    expect(cookie.slice(SESSION_COOKIE.length + 1)).not.toBe(token);
    expect(cookie).not.toContain(token);
    const second = await get(pathOf(launchUrl));
    expect(second.status).toBe(403);
    expect(second.headers['set-cookie']).toBeUndefined();
    // The token is not a session either.
    expect((await get('/', { cookie: `${SESSION_COOKIE}=${token}` })).status).toBe(403);
    expect((await get('/', { cookie })).status).toBe(200);
  });

  it('serves with a strict CSP and never outside the renderer folder', async () => {
    const cookie = await sessionCookie();
    const page = await get('/', { cookie });
    expect(page.headers['content-security-policy']).toBe(
      `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src ws://127.0.0.1:${host.port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/hostname.html', '/index.html%00.js', '/nothing.js']) {
      expect((await get(path, { cookie })).status).toBe(404);
    }
    const script = await get('/kiosk-host.js', { cookie });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
  });

  it('refuses WebSocket handshakes without the cookie, from another origin, or on another path', async () => {
    const cookie = await sessionCookie();
    expect((await openSocket({ origin: host.origin })).status).toBe(403);
    expect((await openSocket({ origin: 'http://127.0.0.1:1', cookie })).status).toBe(403);
    expect((await openSocket({ origin: 'null', cookie })).status).toBe(403);
    expect((await openSocket({ cookie })).status).toBe(403);
    const good = await openSocket({ origin: host.origin, cookie });
    expect(good.status).toBeNull();
    good.ws.close();
  });

  it('closes a connection that sends text or malformed frames, and validates arguments', async () => {
    const cookie = await sessionCookie();
    const { ws } = await openSocket({ origin: host.origin, cookie });
    const messages: string[] = [];
    ws.on('message', (data: Buffer) => messages.push(data.toString()));
    ws.send(encodeCallFrame(1, 'submitPin', [new TextEncoder().encode('12ab56'), { confirmLastTry: false }]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(messages.map((m) => JSON.parse(m) as unknown)).toContainEqual({
      kind: 'result',
      id: 1,
      result: {
        ok: false,
        error: { code: 'invalid-argument', detail: 'pin must be a Uint8Array of 6-8 ASCII digits' },
      },
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('{"id":2,"call":"cancel","args":[]}');
    expect(await closed).toBe(1003);
    expect(pinsReceived).toEqual([]);
  });
});

describe.skipIf(!chromiumAvailable())('browser host in Chromium', () => {
  it('defines a frozen window.kiosk, pushes views, carries the PIN as bytes and answers calls', async () => {
    const page = await browser!.newPage();
    try {
      await page.goto(host.newLaunchUrl());
      expect(new URL(page.url()).search).toBe(''); // the secret left the address bar
      const first = await page.evaluate(
        () =>
          new Promise((resolve) => {
            window.kiosk!.onView(resolve);
          }),
      );
      expect(first).toEqual(welcome);
      expect(await page.evaluate(() => window.kiosk!.getConfig())).toMatchObject({
        ok: true,
        value: { languages: ['en', 'nl'] },
      });

      const afterCall = await page.evaluate(async () => {
        const pin = new TextEncoder().encode('24681357');
        const result = await window.kiosk!.submitPin(pin, { confirmLastTry: false });
        return { result };
      });
      expect(afterCall.result).toEqual({ ok: true, value: undefined });
      expect(pinsReceived).toEqual(['24681357']);

      const pushed = await page.evaluate(
        () =>
          new Promise((resolve) => {
            const seen: unknown[] = [];
            window.kiosk!.onView((view) => {
              seen.push(view);
              if (seen.length === 2) resolve(seen);
            });
            void window.kiosk!.cancel();
          }),
      );
      expect(pushed).toEqual([welcome, { screen: 'reading-card' }]);

      const overwrite = await page.evaluate(() => {
        try {
          (window as unknown as { kiosk: unknown }).kiosk = { evil: true };
        } catch (error: unknown) {
          return `threw ${(error as Error).name}`;
        }
        return typeof (window.kiosk as unknown as { evil?: unknown }).evil;
      });
      expect(overwrite).toBe('undefined');
    } finally {
      await page.close();
    }
  });
});

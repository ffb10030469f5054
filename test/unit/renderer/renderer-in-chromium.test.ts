// The built renderer in Debian's Chromium, behind a strict Content-Security-Policy, driven by a stand-in
// host: what a person does (keys, taps) and what main receives. The full flow against the real main process
// is the end-to-end suite's job (test/e2e/); this checks the renderer's own promises.
import { readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KioskView } from '../../../contracts/kiosk-api.ts';
import { buildRendererTo } from './support/build-renderer.ts';
import { STAND_IN_HOST_SCRIPT } from './support/stand-in-host.ts';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

interface RecordedCall {
  readonly name: string;
  readonly args: readonly unknown[];
}

let outDir = '';
let server: Server;
let baseUrl = '';
let browser: Browser;
let page: Page;
let pageProblems: string[] = [];

function serve(root: string): Promise<Server> {
  const httpServer = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const send = (status: number, type: string, body: string | Buffer): void => {
      response.writeHead(status, { 'Content-Type': type, 'Content-Security-Policy': CSP });
      response.end(body);
    };
    if (path === '/kiosk-host.js') return send(200, 'text/javascript', STAND_IN_HOST_SCRIPT);
    const file = join(root, normalize(path === '/' ? '/index.html' : path));
    if (!file.startsWith(root)) return send(404, 'text/plain', '');
    readFile(file).then(
      (body) => send(200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', body),
      () => send(404, 'text/plain', ''),
    );
    return undefined;
  });
  return new Promise((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve(httpServer)));
}

beforeAll(async () => {
  outDir = await buildRendererTo('dck-renderer-chromium-');
  server = await serve(outDir);
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

beforeEach(async () => {
  pageProblems = [];
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (message) => {
    if (message.type() === 'error') pageProblems.push(message.text());
  });
  page.on('pageerror', (error) => pageProblems.push(error.message));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      console.error(`CSP violation: ${event.violatedDirective}`),
    );
  });
  await page.goto(baseUrl);
  await page.getByRole('heading', { name: 'Insert your smart card' }).waitFor();
});

afterEach(async () => {
  await page.close();
  expect(pageProblems).toEqual([]);
});

const push = (view: KioskView): Promise<void> =>
  page.evaluate((v) => (window as unknown as { __standIn: { push(v: KioskView): void } }).__standIn.push(v), view);
const calls = (): Promise<RecordedCall[]> =>
  page.evaluate(
    () =>
      JSON.parse(
        JSON.stringify((window as unknown as { __standIn: { calls: RecordedCall[] } }).__standIn.calls),
      ) as RecordedCall[],
  );
const callsNamed = async (name: string): Promise<RecordedCall[]> =>
  (await calls()).filter((call) => call.name === name);

const pinView = (overrides: Partial<Extract<KioskView, { screen: 'pin' }>> = {}): KioskView => ({
  screen: 'pin',
  holderName: 'Jordan Example',
  triesLeft: 3,
  lastTryWarning: false,
  lastAttempt: 'none',
  busy: false,
  ...overrides,
});
const enrollmentView: KioskView = {
  screen: 'enrollment',
  qrPayload: 'https://issuer.test/e/Zq8RkP3vW1xY5tNm',
  otp: '73519046',
  expiresAt: new Date(Date.now() + 120_000).toISOString(),
  helpUrl: 'https://help.test/kiosk',
  renewing: false,
  phoneSeen: false,
  agentCheck: null,
  stopped: null,
};
/** The page's JS heap (after a full GC) as the raw snapshot JSON, whose string table holds every live string. */
async function heapSnapshotText(target: Page): Promise<string> {
  const cdp = await target.context().newCDPSession(target);
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', (event: { chunk: string }) => chunks.push(event.chunk));
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  return chunks.join('');
}
const ASCII = (digits: string): number[] => [...digits].map((char) => char.charCodeAt(0));

describe('renderer in Chromium', () => {
  it('sends the PIN typed on keyboard and keypad as ASCII digits, then zero-fills its array', async () => {
    await push(pinView());
    await page.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    await page.keyboard.type('2468');
    await page.getByRole('button', { name: '1', exact: true }).click();
    await page.getByRole('button', { name: '3', exact: true }).click();
    expect(await page.locator('.pin__dots').textContent()).toBe('6 digits entered');
    expect(await page.content()).not.toContain('246813');
    await page.keyboard.press('Enter');
    await expect.poll(() => callsNamed('submitPin')).toHaveLength(1);
    const [call] = await callsNamed('submitPin');
    expect(call?.args).toEqual([ASCII('246813'), { confirmLastTry: false }]);
    const heldByHost = await page.evaluate(() =>
      Array.from((window as unknown as { __standIn: { pinArrays: Uint8Array[] } }).__standIn.pinArrays[0] ?? []),
    );
    expect(heldByHost).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await page.locator('.pin__dots').textContent()).toBe('0 digits entered');
  });

  it('on the last try asks first and sends confirmLastTry only after the explicit yes', async () => {
    await push(pinView({ triesLeft: 1, lastTryWarning: true, lastAttempt: 'wrong' }));
    await page.getByText('That PIN was not correct. You have 1 try left.').first().waitFor();
    await page.keyboard.type('123456');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: 'Use your last try?' });
    await dialog.waitFor();
    expect(await callsNamed('submitPin')).toHaveLength(0);
    await page.keyboard.press('Escape'); // closes the dialog only: no cancel, digits kept
    await dialog.waitFor({ state: 'hidden' });
    expect(await callsNamed('cancel')).toHaveLength(0);
    await page.getByRole('button', { name: 'OK, check PIN' }).click();
    await page.getByRole('button', { name: 'Yes, check this PIN' }).click();
    await expect.poll(() => callsNamed('submitPin')).toHaveLength(1);
    expect((await callsNamed('submitPin'))[0]?.args).toEqual([ASCII('123456'), { confirmLastTry: true }]);
  });

  it('Escape clears typed digits first, then starts over', async () => {
    await push(pinView());
    await page.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    await page.keyboard.type('55');
    await page.keyboard.press('Escape');
    expect(await page.locator('.pin__dots').textContent()).toBe('0 digits entered');
    expect(await callsNamed('cancel')).toHaveLength(0);
    await page.keyboard.press('Escape');
    await expect.poll(() => callsNamed('cancel')).toHaveLength(1);
  });

  it('formats the phone code as typed and submits XXXX-XXXX', async () => {
    await push({ screen: 'user-code', holderName: 'Jordan Example', error: 'none', busy: false });
    const field = page.getByLabel('Code from your phone');
    await field.waitFor();
    await page.keyboard.type('bc-d1fgAhj');
    expect(await field.inputValue()).toBe('BCDF-GHJ');
    await page.getByRole('button', { name: 'Letter K' }).click();
    expect(await field.inputValue()).toBe('BCDF-GHJK');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => callsNamed('submitUserCode')).toHaveLength(1);
    expect((await callsNamed('submitUserCode'))[0]?.args).toEqual(['BCDF-GHJK']);
  });

  it('leaves nothing of the person on screen after the session ends, and resets the language', async () => {
    await page.getByRole('button', { name: 'Nederlands' }).click();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('nl');
    await push(pinView());
    await push(enrollmentView);
    await page.getByRole('heading', { name: 'Scan deze QR-code met uw telefoon' }).waitFor();
    expect(await page.locator('.otp').textContent()).toContain('7351 9046');
    await push({ screen: 'welcome', virtualCardOffered: true });
    await page.getByRole('heading', { name: 'Insert your smart card' }).waitFor();
    const html = await page.content();
    for (const secret of ['7351', '9046', 'Zq8RkP3vW1xY5tNm', 'Jordan']) expect(html).not.toContain(secret);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
  });

  it('keeps no trace of the name, OTP or QR payload in the page heap once back at welcome', async () => {
    await push(pinView({ holderName: 'Quillon Heapcheck' }));
    await page.getByText('Hello, Quillon Heapcheck').waitFor();
    await push({ screen: 'user-code', holderName: 'Quillon Heapcheck', error: 'none', busy: false });
    await page.getByText('Thank you, Quillon Heapcheck').waitFor();
    // Controls: while a screen shows these strings, the snapshot does hold them. Each is taken while its screen is
    // up: the enrollment screen shows no name, so after a snapshot's full GC the name may already be gone there.
    const duringName = await heapSnapshotText(page);
    expect(duringName, 'Quillon').toContain('Quillon');
    await push({ ...enrollmentView, qrPayload: 'https://issuer.test/e/HeapTraceQrPayload9', otp: '60428175' });
    await page.locator('.otp').getByText('6042 8175').waitFor();
    const duringEnrollment = await heapSnapshotText(page);
    for (const trace of ['HeapTraceQrPayload9', '60428175']) expect(duringEnrollment, trace).toContain(trace);
    await push({ screen: 'welcome', virtualCardOffered: true });
    await page.getByRole('heading', { name: 'Insert your smart card' }).waitFor();
    await page.waitForTimeout(300);
    const heap = await heapSnapshotText(page);
    expect(heap.length).toBeGreaterThan(100_000);
    expect(heap).toContain('Insert your smart card'); // the snapshot does hold the page's strings
    for (const trace of ['Quillon', 'Heapcheck', 'HeapTraceQrPayload9', '60428175', '6042 8175'])
      expect(heap, trace).not.toContain(trace);
  });

  it('offers "New code" once the QR has expired, and calls renewEnrollment', async () => {
    await push({ ...enrollmentView, expiresAt: new Date(Date.now() + 1500).toISOString() });
    await page.getByText(/This code works for another 0 min [12] s\./).waitFor();
    await page.getByRole('button', { name: 'New code' }).click({ timeout: 5000 });
    await expect.poll(() => callsNamed('renewEnrollment')).toHaveLength(1);
  });

  it('answers "Still there?" with the focused button and Enter', async () => {
    await push({ screen: 'still-there', secondsLeft: 10 });
    await page.getByRole('alertdialog', { name: 'Still there?' }).waitFor();
    await page.keyboard.press('Enter');
    await expect.poll(() => callsNamed('stillHere')).toHaveLength(1);
  });

  it('reports activity at most once per two seconds while typing', async () => {
    await push(pinView());
    await page.getByRole('heading', { name: 'Enter your PIN' }).waitFor();
    await page.keyboard.type('12345678');
    expect(await callsNamed('reportActivity')).toHaveLength(1);
  });
});

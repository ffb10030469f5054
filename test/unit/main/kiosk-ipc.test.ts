import { describe, expect, it } from 'vitest';
import type { WebContents } from 'electron';
import { KIOSK_EVENT_CHANNELS, KIOSK_INVOKE_CHANNELS, ok } from '../../../contracts/kiosk-api.ts';
import type { KioskHandlers } from '../../../contracts/kiosk-api.ts';
import { isKioskSender, pushViewsTo, registerKioskIpc } from '../../../main/ipc/kiosk-ipc.ts';
import { eventFrom, FakeIpcMain } from './ipc/fake-ipc-main.ts';

const mainFrame = { url: 'app://kiosk/index.html' };
const kioskContents = { mainFrame } as unknown as WebContents;
const otherContents = { mainFrame: { url: 'app://kiosk/index.html' } } as unknown as WebContents;

describe('Electron IPC transport', () => {
  const pins: string[] = [];
  const handlers = {
    submitPin: (pin: Uint8Array) => {
      pins.push(Buffer.from(pin).toString());
      return Promise.resolve(ok(undefined));
    },
    cancel: () => Promise.resolve(ok(undefined)),
  } as unknown as KioskHandlers;
  const ipc = new FakeIpcMain();
  const logged: string[] = [];
  const unregister = registerKioskIpc(ipc, {
    handlers,
    kioskContents: () => kioskContents,
    expectedOrigin: 'app://kiosk',
    log: (event) => logged.push(event),
  });

  it("registers exactly the contract's channels", () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(Object.values(KIOSK_INVOKE_CHANNELS).sort());
  });

  it("answers the kiosk window's main frame and validates its arguments", async () => {
    const call = ipc.handlers.get(KIOSK_INVOKE_CHANNELS.submitPin)!;
    expect(
      await call(eventFrom(kioskContents, mainFrame), new TextEncoder().encode('123456'), { confirmLastTry: false }),
    ).toEqual({ ok: true, value: undefined });
    expect(await call(eventFrom(kioskContents, mainFrame), '123456', { confirmLastTry: false })).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument' },
    });
    expect(pins).toEqual(['123456']);
  });

  it.each([
    ['another window', eventFrom(otherContents, mainFrame)],
    ['a sub-frame of the kiosk window', eventFrom(kioskContents, { url: 'app://kiosk/index.html' })],
    ['no frame (navigated away)', eventFrom(kioskContents, null)],
  ])('refuses %s with "forbidden" and never calls the handler', async (_label, event) => {
    pins.length = 0;
    const result = await ipc.handlers.get(KIOSK_INVOKE_CHANNELS.submitPin)!(event, new TextEncoder().encode('123456'), {
      confirmLastTry: false,
    });
    expect(result).toEqual({ ok: false, error: { code: 'forbidden' } });
    expect(pins).toEqual([]);
    expect(logged).toContain('ipc-refused-sender');
  });

  it.each(['file:///tmp/evil.html', 'https://kiosk.example/', 'app://other/index.html', 'not a url'])(
    'refuses the main frame at %s',
    (url) => {
      const frame = { url };
      const contents = { mainFrame: frame } as unknown as WebContents;
      expect(
        isKioskSender(eventFrom(contents, frame), { kioskContents: () => contents, expectedOrigin: 'app://kiosk' }),
      ).toBe(false);
    },
  );

  it("pushes views on the contract's event channel, not to destroyed windows", () => {
    const sent: unknown[][] = [];
    pushViewsTo(
      { isDestroyed: () => false, send: (...args: unknown[]) => sent.push(args) },
      { screen: 'reading-card' },
    );
    pushViewsTo({ isDestroyed: () => true, send: (...args: unknown[]) => sent.push(args) }, { screen: 'reading-card' });
    expect(sent).toEqual([[KIOSK_EVENT_CHANNELS.view, { screen: 'reading-card' }]]);
  });

  it('unregisters every channel', () => {
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });
});

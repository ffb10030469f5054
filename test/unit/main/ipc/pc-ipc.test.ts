// The "Set up this PC" window's Electron IPC (`--pc`) under plain Node: exactly the PC contract's channels, callers
// other than the PC window's main frame on pc.html refused, every argument validated before a handler runs, and the
// card PIN never echoed, never logged and zero-filled in main whatever became of the call. ipcMain itself is a
// stand-in (the Electron binary cannot run here).
import { describe, expect, it } from 'vitest';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { ok } from '../../../../contracts/kiosk-api.ts';
import { PC_EVENT_CHANNELS, PC_INVOKE_CHANNELS } from '../../../../contracts/pc-api.ts';
import type { PcHandlers } from '../../../../contracts/pc-api.ts';
import { pushPcViewTo, registerPcIpc } from '../../../../main/ipc/pc-ipc.ts';
import { eventFrom, FakeIpcMain } from './fake-ipc-main.ts';

const PIN = '31415926';
const pinBytes = (digits = PIN): Uint8Array => new TextEncoder().encode(digits);
const mainFrame = { url: 'app://kiosk/pc.html' };
const pcContents = { mainFrame } as unknown as WebContents;
/** The PC window itself, its main frame showing `url`. */
const windowShowing = (url: string): IpcMainInvokeEvent => {
  const frame = { url };
  return eventFrom({ mainFrame: frame } as unknown as WebContents, frame);
};
const fromPcPage = eventFrom(pcContents, mainFrame);

function setUp(
  overrides: Partial<Record<keyof PcHandlers, (...args: unknown[]) => Promise<unknown>>> = {},
  contents: () => WebContents | null = () => pcContents,
) {
  const calls: { name: string; args: unknown[] }[] = [];
  const pinsSeen: string[] = [];
  const record =
    (name: keyof PcHandlers) =>
    (...args: unknown[]): Promise<unknown> => {
      calls.push({ name, args });
      const [first] = args;
      if (first instanceof Uint8Array) pinsSeen.push(new TextDecoder().decode(first));
      return overrides[name]?.(...args) ?? Promise.resolve(ok(undefined));
    };
  const handlers = {
    start: record('start'),
    submitPin: record('submitPin'),
    remove: record('remove'),
    cancel: record('cancel'),
  } as unknown as PcHandlers;
  const ipc = new FakeIpcMain();
  const logged: string[] = [];
  const unregister = registerPcIpc(ipc, {
    handlers,
    pcContents: contents,
    expectedPage: 'app://kiosk/pc.html',
    log: (event, fields) => logged.push(JSON.stringify({ event, ...fields })),
  });
  return { ipc, calls, pinsSeen, logged, unregister };
}

describe('"Set up this PC" Electron IPC', () => {
  it("registers exactly the PC contract's channels, so any other channel has no handler", () => {
    const { ipc } = setUp();
    expect([...ipc.handlers.keys()].sort()).toEqual(Object.values(PC_INVOKE_CHANNELS).sort());
    for (const other of ['kiosk:submit-pin', 'console:search-people', 'pc:evil', 'pc:view'])
      expect(() => ipc.call(other, fromPcPage)).toThrow(`no handler for ${other}`);
  });

  it('answers the PC page in its window, with validated arguments, and hands the PIN over once', async () => {
    const { ipc, calls, pinsSeen } = setUp();
    expect(await ipc.call(PC_INVOKE_CHANNELS.start, fromPcPage, 'enroll')).toEqual({ ok: true, value: undefined });
    // A query or fragment does not change the page.
    const withQuery = windowShowing('app://kiosk/pc.html?lang=nl#top');
    const other = setUp({}, () => withQuery.sender);
    expect(await other.ipc.call(PC_INVOKE_CHANNELS.cancel, withQuery)).toEqual({ ok: true, value: undefined });
    const pin = pinBytes();
    expect(await ipc.call(PC_INVOKE_CHANNELS.submitPin, fromPcPage, pin, { confirmLastTry: false })).toEqual({
      ok: true,
      value: undefined,
    });
    expect(calls.map((call) => call.name)).toEqual(['start', 'submitPin']);
    expect(pinsSeen).toEqual([PIN]);
    expect([...pin]).toEqual(new Array(PIN.length).fill(0));
  });

  // Each case: the calling event, and the PC window's contents (null: the PC window itself is the caller).
  it.each([
    ['another window', eventFrom({ mainFrame } as unknown as WebContents, mainFrame), pcContents],
    ['a sub-frame of the PC window', eventFrom(pcContents, { url: 'app://kiosk/pc.html' }), pcContents],
    ['no frame (gone)', eventFrom(pcContents, null), pcContents],
    ["the app's kiosk page", windowShowing('app://kiosk/index.html'), null],
    ["the app's console page", windowShowing('app://kiosk/agent.html'), null],
    ['pc.html of another host', windowShowing('app://evil/pc.html'), null],
    ['pc.html over https', windowShowing('https://kiosk/pc.html'), null],
    ['a file URL', windowShowing('file:///opt/dck/renderer/dist/pc.html'), null],
    ['a URL that does not parse', windowShowing('not a url'), null],
  ])('refuses %s as "forbidden", never calls a handler, and wipes the PIN it sent', async (_label, event, window) => {
    const { ipc, calls, logged } = setUp({}, () => window ?? event.sender);
    const pin = pinBytes();
    const answer = await ipc.call(PC_INVOKE_CHANNELS.submitPin, event, pin, { confirmLastTry: true });
    expect(answer).toEqual({ ok: false, error: { code: 'forbidden' } });
    expect(await ipc.call(PC_INVOKE_CHANNELS.remove, event)).toEqual({ ok: false, error: { code: 'forbidden' } });
    expect(calls).toEqual([]);
    expect([...pin]).toEqual(new Array(PIN.length).fill(0));
    expect(logged).toEqual([
      JSON.stringify({ event: 'ipc-refused-sender', call: 'submitPin' }),
      JSON.stringify({ event: 'ipc-refused-sender', call: 'remove' }),
    ]);
  });

  it('refuses every caller once the PC window is closed', async () => {
    const { ipc, calls } = setUp({}, () => null);
    expect(await ipc.call(PC_INVOKE_CHANNELS.cancel, fromPcPage)).toEqual({ ok: false, error: { code: 'forbidden' } });
    expect(calls).toEqual([]);
  });

  it.each([
    ['start with an unknown purpose', PC_INVOKE_CHANNELS.start, ['format-disk']],
    ['start with no purpose', PC_INVOKE_CHANNELS.start, []],
    ['start with two purposes', PC_INVOKE_CHANNELS.start, ['enroll', 'renew']],
    ['a PIN as a string', PC_INVOKE_CHANNELS.submitPin, [PIN, { confirmLastTry: false }]],
    ['a PIN as a number list', PC_INVOKE_CHANNELS.submitPin, [[...pinBytes()], { confirmLastTry: false }]],
    ['a PIN of 5 digits', PC_INVOKE_CHANNELS.submitPin, [pinBytes('31415'), { confirmLastTry: false }]],
    ['a PIN of 9 digits', PC_INVOKE_CHANNELS.submitPin, [pinBytes('314159265'), { confirmLastTry: false }]],
    ['a PIN with a letter', PC_INVOKE_CHANNELS.submitPin, [pinBytes('3141592a'), { confirmLastTry: false }]],
    ['a PIN without options', PC_INVOKE_CHANNELS.submitPin, [pinBytes()]],
    ['a PIN with options of the wrong type', PC_INVOKE_CHANNELS.submitPin, [pinBytes(), { confirmLastTry: 'yes' }]],
    ['a PIN with a third argument', PC_INVOKE_CHANNELS.submitPin, [pinBytes(), { confirmLastTry: false }, 1]],
    ['remove with an argument', PC_INVOKE_CHANNELS.remove, ['/home']],
    ['cancel with five arguments', PC_INVOKE_CHANNELS.cancel, [1, 2, 3, 4, 5]],
  ])('refuses %s as invalid-argument before any handler runs', async (_label, channel, args) => {
    const { ipc, calls, logged } = setUp();
    const answer = await ipc.call(channel, fromPcPage, ...args);
    expect(answer).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(calls).toEqual([]);
    for (const arg of args) if (arg instanceof Uint8Array) expect(arg.every((byte) => byte === 0)).toBe(true);
    // Neither the answer nor a log line repeats what was sent.
    for (const text of [JSON.stringify(answer), ...logged]) {
      expect(text).not.toContain(PIN);
      expect(text).not.toContain('31415');
      expect(text).not.toContain('format-disk');
    }
  });

  it('a handler that throws with the PIN in its message: the page gets "internal", the log the error name only', async () => {
    const { ipc, logged } = setUp({
      submitPin: (pin) =>
        Promise.reject(new RangeError(`card said no to ${new TextDecoder().decode(pin as Uint8Array)}`)),
    });
    const pin = pinBytes();
    const answer = await ipc.call(PC_INVOKE_CHANNELS.submitPin, fromPcPage, pin, { confirmLastTry: false });
    expect(answer).toEqual({ ok: false, error: { code: 'internal' } });
    expect(logged).toEqual([JSON.stringify({ event: 'handler-failed', call: 'submitPin', error: 'RangeError' })]);
    expect(logged.join('\n')).not.toContain(PIN);
    expect([...pin]).toEqual(new Array(PIN.length).fill(0));
  });

  it('pushes views on the PC view channel, not to a destroyed window', () => {
    const sent: unknown[][] = [];
    const view = { screen: 'status', installed: null } as const;
    pushPcViewTo({ isDestroyed: () => false, send: (...args: unknown[]) => sent.push(args) }, view);
    pushPcViewTo({ isDestroyed: () => true, send: (...args: unknown[]) => sent.push(args) }, view);
    expect(sent).toEqual([[PC_EVENT_CHANNELS.view, view]]);
  });

  it('unregisters every channel', () => {
    const { ipc, unregister } = setUp();
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });
});

// The agent console window's Electron IPC (`--agent`) under plain Node: exactly the console contract's channels,
// arguments validated before any handler runs, callers other than the console window's main frame refused, views
// pushed on the console's channel. ipcMain itself is a stand-in (the Electron binary cannot run here).
import { describe, expect, it } from 'vitest';
import type { WebContents } from 'electron';
import { CONSOLE_EVENT_CHANNELS, CONSOLE_INVOKE_CHANNELS } from '../../../../contracts/console-api.ts';
import type { ConsoleHandlers } from '../../../../contracts/console-api.ts';
import { ok } from '../../../../contracts/kiosk-api.ts';
import { pushConsoleViewTo, registerConsoleIpc } from '../../../../main/ipc/console-ipc.ts';
import { eventFrom, FakeIpcMain } from './fake-ipc-main.ts';

const mainFrame = { url: 'app://kiosk/agent.html' };
const consoleContents = { mainFrame } as unknown as WebContents;

describe('agent console Electron IPC', () => {
  const searched: string[] = [];
  const handlers = {
    searchPeople: (query: string) => {
      searched.push(query);
      return Promise.resolve(ok({ people: [], truncated: false }));
    },
  } as unknown as ConsoleHandlers;
  const ipc = new FakeIpcMain();
  const logged: string[] = [];
  const unregister = registerConsoleIpc(ipc, {
    handlers,
    consoleContents: () => consoleContents,
    expectedOrigin: 'app://kiosk',
    log: (event) => logged.push(event),
  });

  it("registers exactly the console contract's channels", () => {
    expect([...ipc.handlers.keys()].sort()).toEqual(Object.values(CONSOLE_INVOKE_CHANNELS).sort());
  });

  it("answers the console window's main frame, and validates the arguments first", async () => {
    const from = eventFrom(consoleContents, mainFrame);
    expect(await ipc.call(CONSOLE_INVOKE_CHANNELS.searchPeople, from, 'pat')).toEqual({
      ok: true,
      value: { people: [], truncated: false },
    });
    expect(await ipc.call(CONSOLE_INVOKE_CHANNELS.searchPeople, from, 'x'.repeat(500))).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument' },
    });
    expect(await ipc.call(CONSOLE_INVOKE_CHANNELS.reissueCode, from, '../../etc', 'note')).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument' },
    });
    expect(searched).toEqual(['pat']);
  });

  it.each([
    ['another window', eventFrom({ mainFrame } as unknown as WebContents, mainFrame)],
    ['a sub-frame', eventFrom(consoleContents, { url: 'app://kiosk/agent.html' })],
    [
      'a page of another origin',
      eventFrom({ mainFrame: { url: 'https://evil.example/' } } as unknown as WebContents, null),
    ],
  ])('refuses %s as "forbidden" and never calls the handler', async (_label, event) => {
    searched.length = 0;
    expect(await ipc.call(CONSOLE_INVOKE_CHANNELS.searchPeople, event, 'pat')).toEqual({
      ok: false,
      error: { code: 'refused', refusal: 'forbidden' },
    });
    expect(searched).toEqual([]);
    expect(logged).toContain('ipc-refused-sender');
  });

  it("pushes views on the console's event channel, not to a destroyed window", () => {
    const sent: unknown[][] = [];
    const view = { screen: 'locked', reason: 'start' } as const;
    pushConsoleViewTo({ isDestroyed: () => false, send: (...args: unknown[]) => sent.push(args) }, view);
    pushConsoleViewTo({ isDestroyed: () => true, send: (...args: unknown[]) => sent.push(args) }, view);
    expect(sent).toEqual([[CONSOLE_EVENT_CHANNELS.view, view]]);
  });

  it('unregisters every channel', () => {
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });
});

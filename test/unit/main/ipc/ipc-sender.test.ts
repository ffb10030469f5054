// The one sender check before every IPC handler (kiosk, console, PC windows): only the expected window's main frame
// showing the expected page is answered; a sub-frame, another window, another page, another origin, a frame gone, a
// URL that does not parse and a closed window are refused, logged by call name only, and never reach the handler.
import { describe, expect, it } from 'vitest';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { isExpectedSender, onlyFromSender } from '../../../../main/ipc/ipc-sender.ts';
import type { ExpectedSender } from '../../../../main/ipc/ipc-sender.ts';
import { eventFrom } from './fake-ipc-main.ts';

const mainFrame = { url: 'app://kiosk/pc.html' };
const windowContents = { mainFrame } as unknown as WebContents;
/** Another window whose main frame shows `url`. */
const windowShowing = (url: string): IpcMainInvokeEvent => {
  const frame = { url };
  return eventFrom({ mainFrame: frame } as unknown as WebContents, frame);
};
/** The expected window itself, its main frame showing `url`. */
const expectedWindowShowing = (url: string): { event: IpcMainInvokeEvent; contents: WebContents } => {
  const event = windowShowing(url);
  return { event, contents: event.sender };
};

const anyPageOf = (contents: WebContents | null): ExpectedSender => ({
  contents: () => contents,
  origin: 'app://kiosk',
});
const pcPageOf = (contents: WebContents | null): ExpectedSender => ({ ...anyPageOf(contents), pathname: '/pc.html' });

describe('the IPC sender check', () => {
  it("answers the window's main frame on its page; a query or fragment does not change the page", () => {
    expect(isExpectedSender(eventFrom(windowContents, mainFrame), pcPageOf(windowContents))).toBe(true);
    const withQuery = expectedWindowShowing('app://kiosk/pc.html?lang=nl#top');
    expect(isExpectedSender(withQuery.event, pcPageOf(withQuery.contents))).toBe(true);
  });

  it('with no path expected, answers any page of the origin', () => {
    const other = expectedWindowShowing('app://kiosk/agent.html');
    expect(isExpectedSender(other.event, anyPageOf(other.contents))).toBe(true);
  });

  it.each([
    ['a sub-frame of the window', eventFrom(windowContents, { url: 'app://kiosk/pc.html' })],
    ['another window', eventFrom({ mainFrame } as unknown as WebContents, mainFrame)],
    ['no frame (gone)', eventFrom(windowContents, null)],
  ])('refuses %s', (_label, event) => {
    expect(isExpectedSender(event, pcPageOf(windowContents))).toBe(false);
    expect(isExpectedSender(event, anyPageOf(windowContents))).toBe(false);
  });

  it('refuses every caller once the window is closed', () => {
    expect(isExpectedSender(eventFrom(windowContents, mainFrame), pcPageOf(null))).toBe(false);
  });

  it.each([
    ["the app's kiosk page", 'app://kiosk/index.html'],
    ['the page under another path', 'app://kiosk/sub/pc.html'],
  ])('refuses the window showing %s where the PC page is expected', (_label, url) => {
    const shown = expectedWindowShowing(url);
    expect(isExpectedSender(shown.event, pcPageOf(shown.contents))).toBe(false);
  });

  it.each([
    ['another host', 'app://evil/pc.html'],
    ['https', 'https://kiosk/pc.html'],
    ['a file URL', 'file:///opt/dck/renderer/dist/pc.html'],
    ['a URL that does not parse', 'not a url'],
  ])('refuses the window showing a page of %s', (_label, url) => {
    const shown = expectedWindowShowing(url);
    expect(isExpectedSender(shown.event, pcPageOf(shown.contents))).toBe(false);
    expect(isExpectedSender(shown.event, anyPageOf(shown.contents))).toBe(false);
  });

  it('a refused caller gets the refusal, the log names the call only, and the handler never runs', async () => {
    const logged: string[] = [];
    const handled: unknown[][] = [];
    const listener = onlyFromSender(
      pcPageOf(windowContents),
      {
        call: 'submitPin',
        answer: 'refused',
        log: (event, fields) => logged.push(JSON.stringify({ event, ...fields })),
      },
      (args) => {
        handled.push(args);
        return Promise.resolve('answered');
      },
    );
    expect(await listener(eventFrom(windowContents, { url: 'app://kiosk/pc.html' }), '31415926')).toBe('refused');
    expect(handled).toEqual([]);
    expect(logged).toEqual([JSON.stringify({ event: 'ipc-refused-sender', call: 'submitPin' })]);

    expect(await listener(eventFrom(windowContents, mainFrame), '31415926', 2)).toBe('answered');
    expect(handled).toEqual([['31415926', 2]]);
    expect(logged).toHaveLength(1);
  });
});

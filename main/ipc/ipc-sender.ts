// Who may call a window's IPC channels: the one check the kiosk, console and PC transports (kiosk-ipc.ts,
// console-ipc.ts, pc-ipc.ts) put before every handler. A caller is answered only when it is that window's main frame
// (not a sub-frame, not another window) showing a page of the expected origin, and where a path is expected that page
// itself (not another page of the app's origin). Anyone else gets the transport's refusal and is told no more; the
// log names the call refused, never its arguments.
import type { IpcMainInvokeEvent, WebContents } from 'electron';

export type IpcLog = (event: string, fields?: Readonly<Record<string, string>>) => void;

export interface ExpectedSender {
  /** The window's webContents (null before it exists / after it closed). */
  readonly contents: () => WebContents | null;
  /** The origin of the page it shows, e.g. 'app://kiosk' (originOf). */
  readonly origin: string;
  /** The page's path, e.g. '/pc.html' (a query or fragment is ignored); unset: any page of the origin. */
  readonly pathname?: string;
}

/** `scheme://host` of `url`. Not URL.origin: for a custom scheme such as app:// Node's URL reports "null". */
export function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** True only for the expected window's main frame showing the expected page. */
export function isExpectedSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  expected: ExpectedSender,
): boolean {
  const contents = expected.contents();
  const frame = event.senderFrame;
  if (contents === null || event.sender !== contents || frame === null) return false;
  if (frame !== contents.mainFrame) return false;
  let url: URL;
  try {
    url = new URL(frame.url);
  } catch (error: unknown) {
    if (error instanceof TypeError) return false;
    throw error;
  }
  if (originOf(url) !== expected.origin) return false;
  return expected.pathname === undefined || url.pathname === expected.pathname;
}

export interface SenderRefusal<R> {
  /** The call's name, for the log line. */
  readonly call: string;
  /** What any other caller gets. */
  readonly answer: R;
  readonly log: IpcLog;
}

/** An IPC listener that runs `answer` for `expected`'s calls only; any other caller gets `refusal.answer`. */
export function onlyFromSender<R>(
  expected: ExpectedSender,
  refusal: SenderRefusal<R>,
  answer: (args: unknown[]) => Promise<R>,
): (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<R> {
  return (event, ...args) => {
    if (!isExpectedSender(event, expected)) {
      refusal.log('ipc-refused-sender', { call: refusal.call });
      return Promise.resolve(refusal.answer);
    }
    return answer(args);
  };
}

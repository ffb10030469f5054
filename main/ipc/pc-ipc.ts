// Electron IPC for the "Set up this PC" window (`--pc`): the kiosk's transport (kiosk-ipc.ts) with the PC channel
// table and validators (contracts/pc-api.ts). One `ipcMain.handle` per PC channel; a caller is answered only when it
// is the PC window's main frame showing the PC page itself (not another page of the app's origin, not a sub-frame,
// not another window); anything else is refused as `forbidden` and told no more. Arguments are validated by
// invokePc before any handler runs. The card PIN crosses as bytes: main's copy is zero-filled once the call is over,
// whatever became of it (refused, invalid, answered), and no log line or error ever carries an argument. No PC logic.
// The `ipcMain` object is passed in by electron-ipc.ts, so this wiring is testable under plain Node.
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { err } from '../../contracts/kiosk-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';
import { PC_EVENT_CHANNELS, PC_INVOKE_CHANNELS, PC_INVOKE_NAMES } from '../../contracts/pc-api.ts';
import type { PcCallError, PcHandlers, PcView } from '../../contracts/pc-api.ts';
import { invokePc } from '../transport/invoke.ts';
import { isKioskSender } from './kiosk-ipc.ts';
import type { IpcHandleRegistry } from './kiosk-ipc.ts';

export interface PcIpcOptions {
  readonly handlers: PcHandlers;
  /** The PC window's webContents (null before it exists / after it closed). */
  readonly pcContents: () => WebContents | null;
  /** The page the PC window shows, e.g. 'app://kiosk/pc.html': its origin and path must match. */
  readonly expectedPage: string;
  readonly log: (event: string, fields?: Readonly<Record<string, string>>) => void;
}

/** True only for the PC window's top frame showing the PC page (origin and path; a query or fragment is ignored). */
export function isPcSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  options: Pick<PcIpcOptions, 'pcContents' | 'expectedPage'>,
): boolean {
  const page = new URL(options.expectedPage);
  const expectedOrigin = `${page.protocol}//${page.host}`;
  if (!isKioskSender(event, { kioskContents: options.pcContents, expectedOrigin })) return false;
  const frame = event.senderFrame;
  // isKioskSender has parsed this URL already; a frame gone meanwhile is no caller.
  return frame !== null && new URL(frame.url).pathname === page.pathname;
}

/** main's copy of a PIN (the only bytes the contract carries) does not outlive the call. */
function wipeBytes(args: readonly unknown[]): void {
  for (const arg of args) if (arg instanceof Uint8Array) arg.fill(0);
}

export function registerPcIpc(ipc: IpcHandleRegistry, options: PcIpcOptions): () => void {
  for (const name of PC_INVOKE_NAMES) {
    ipc.handle(PC_INVOKE_CHANNELS[name], async (event, ...args: unknown[]): Promise<Result<unknown, PcCallError>> => {
      try {
        if (!isPcSender(event, options)) {
          options.log('ipc-refused-sender', { call: name });
          return err({ code: 'forbidden' });
        }
        return await invokePc(options.handlers, name, args, (call, error) =>
          // The error's name only: a message may quote what the handler was given.
          options.log('handler-failed', { call, error: error instanceof Error ? error.name : typeof error }),
        );
      } finally {
        wipeBytes(args);
      }
    });
  }
  return () => {
    for (const name of PC_INVOKE_NAMES) ipc.removeHandler(PC_INVOKE_CHANNELS[name]);
  };
}

/** Sends every view to the PC window (the preload checks it and keeps the latest for late subscribers). */
export function pushPcViewTo(contents: Pick<WebContents, 'send' | 'isDestroyed'>, view: PcView): void {
  if (!contents.isDestroyed()) contents.send(PC_EVENT_CHANNELS.view, view);
}

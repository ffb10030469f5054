// Electron IPC for the "Set up this PC" window (`--pc`): the kiosk's transport (kiosk-ipc.ts) with the PC channel
// table and validators (contracts/pc-api.ts). One `ipcMain.handle` per PC channel; a caller is answered only when it
// is the PC window's main frame showing the PC page itself (not another page of the app's origin, not a sub-frame,
// not another window: ipc-sender.ts); anything else is refused as `forbidden` and told no more. Arguments are
// validated by invokePc before any handler runs. The card PIN crosses as bytes: main's copy is zero-filled once the
// call is over, whatever became of it (refused, invalid, answered), and no log line or error ever carries an
// argument. No PC logic. The `ipcMain` object is passed in by electron-ipc.ts, so this wiring is testable under
// plain Node.
import type { WebContents } from 'electron';
import { err } from '../../contracts/kiosk-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';
import { PC_EVENT_CHANNELS, PC_INVOKE_CHANNELS, PC_INVOKE_NAMES } from '../../contracts/pc-api.ts';
import type { PcCallError, PcHandlers, PcView } from '../../contracts/pc-api.ts';
import { invokePc } from '../transport/invoke.ts';
import { onlyFromSender, originOf } from './ipc-sender.ts';
import type { ExpectedSender, IpcLog, SenderRefusal } from './ipc-sender.ts';
import type { IpcHandleRegistry } from './kiosk-ipc.ts';

export interface PcIpcOptions {
  readonly handlers: PcHandlers;
  /** The PC window's webContents (null before it exists / after it closed). */
  readonly pcContents: () => WebContents | null;
  /** The page the PC window shows, e.g. 'app://kiosk/pc.html': its origin and path must match. */
  readonly expectedPage: string;
  readonly log: IpcLog;
}

/** The PC window's top frame showing the PC page (origin and path; a query or fragment is ignored). */
function pcSender(options: Pick<PcIpcOptions, 'pcContents' | 'expectedPage'>): ExpectedSender {
  const page = new URL(options.expectedPage);
  return { contents: options.pcContents, origin: originOf(page), pathname: page.pathname };
}

/** main's copy of a PIN (the only bytes the contract carries) does not outlive the call. */
function wipeBytes(args: readonly unknown[]): void {
  for (const arg of args) if (arg instanceof Uint8Array) arg.fill(0);
}

export function registerPcIpc(ipc: IpcHandleRegistry, options: PcIpcOptions): () => void {
  const sender = pcSender(options);
  for (const name of PC_INVOKE_NAMES) {
    const refusal: SenderRefusal<Result<unknown, PcCallError>> = {
      call: name,
      answer: err({ code: 'forbidden' }),
      log: options.log,
    };
    const answer = onlyFromSender(sender, refusal, (args) =>
      invokePc(options.handlers, name, args, (call, error) =>
        // The error's name only: a message may quote what the handler was given.
        options.log('handler-failed', { call, error: error instanceof Error ? error.name : typeof error }),
      ),
    );
    ipc.handle(PC_INVOKE_CHANNELS[name], async (event, ...args: unknown[]): Promise<Result<unknown, PcCallError>> => {
      try {
        return await answer(event, ...args);
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

// Electron IPC transport: registers one `ipcMain.handle` per channel of the contract's table, refuses callers
// that are not the kiosk window's main frame at the kiosk's own origin (ipc-sender.ts), validates through
// invokeKiosk, and pushes views with `webContents.send`. No session logic. The `ipcMain` object is passed in by
// electron-ipc.ts (the one module importing it), so this wiring is testable under plain Node.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { err, KIOSK_EVENT_CHANNELS, KIOSK_INVOKE_CHANNELS, KIOSK_INVOKE_NAMES } from '../../contracts/kiosk-api.ts';
import type { KioskHandlers, KioskView } from '../../contracts/kiosk-api.ts';
import { invokeKiosk } from '../transport/invoke.ts';
import type { InvokeOutcome } from '../transport/invoke.ts';
import { isExpectedSender, onlyFromSender } from './ipc-sender.ts';
import type { ExpectedSender, IpcLog, SenderRefusal } from './ipc-sender.ts';

export type IpcHandleRegistry = Pick<IpcMain, 'handle' | 'removeHandler'>;

export interface KioskIpcOptions {
  readonly handlers: KioskHandlers;
  /** The kiosk window's webContents (null before it exists / after it closed). */
  readonly kioskContents: () => WebContents | null;
  /** The page origin the kiosk window shows, e.g. 'app://kiosk'. */
  readonly expectedOrigin: string;
  readonly log: IpcLog;
}

/** The kiosk window's top frame showing a page of the kiosk's own origin. */
function kioskSender(options: Pick<KioskIpcOptions, 'kioskContents' | 'expectedOrigin'>): ExpectedSender {
  return { contents: options.kioskContents, origin: options.expectedOrigin };
}

/** True only for the kiosk window's top frame showing the kiosk's own page. */
export function isKioskSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  options: Pick<KioskIpcOptions, 'kioskContents' | 'expectedOrigin'>,
): boolean {
  return isExpectedSender(event, kioskSender(options));
}

export function registerKioskIpc(ipc: IpcHandleRegistry, options: KioskIpcOptions): () => void {
  const sender = kioskSender(options);
  for (const name of KIOSK_INVOKE_NAMES) {
    const refusal: SenderRefusal<InvokeOutcome> = { call: name, answer: err({ code: 'forbidden' }), log: options.log };
    ipc.handle(
      KIOSK_INVOKE_CHANNELS[name],
      onlyFromSender(sender, refusal, (args) =>
        invokeKiosk(options.handlers, name, args, (call, error) =>
          options.log('handler-failed', { call, error: error instanceof Error ? error.name : typeof error }),
        ),
      ),
    );
  }
  return () => {
    for (const name of KIOSK_INVOKE_NAMES) ipc.removeHandler(KIOSK_INVOKE_CHANNELS[name]);
  };
}

/** Sends every view to the kiosk window (the preload caches the latest for late subscribers). */
export function pushViewsTo(contents: Pick<WebContents, 'send' | 'isDestroyed'>, view: KioskView): void {
  if (!contents.isDestroyed()) contents.send(KIOSK_EVENT_CHANNELS.view, view);
}

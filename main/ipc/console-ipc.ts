// Electron IPC for the agent console window (`--agent`): the kiosk's transport (kiosk-ipc.ts) with the console's
// channel table and validators. One `ipcMain.handle` per console channel; callers other than the console window's
// main frame at the app's own origin are refused (ipc-sender.ts); views go out with `webContents.send`. No console
// logic. The `ipcMain` object is passed in by electron-ipc.ts, so this wiring is testable under plain Node.
import type { WebContents } from 'electron';
import { err } from '../../contracts/kiosk-api.ts';
import { CONSOLE_EVENT_CHANNELS, CONSOLE_INVOKE_CHANNELS, CONSOLE_INVOKE_NAMES } from '../../contracts/console-api.ts';
import type { ConsoleError, ConsoleHandlers, ConsoleView } from '../../contracts/console-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';
import { invokeConsole } from '../transport/invoke.ts';
import { onlyFromSender } from './ipc-sender.ts';
import type { IpcLog, SenderRefusal } from './ipc-sender.ts';
import type { IpcHandleRegistry } from './kiosk-ipc.ts';

export interface ConsoleIpcOptions {
  readonly handlers: ConsoleHandlers;
  /** The console window's webContents (null before it exists / after it closed). */
  readonly consoleContents: () => WebContents | null;
  /** The page origin the console window shows, e.g. 'app://kiosk'. */
  readonly expectedOrigin: string;
  readonly log: IpcLog;
}

export function registerConsoleIpc(ipc: IpcHandleRegistry, options: ConsoleIpcOptions): () => void {
  const sender = { contents: options.consoleContents, origin: options.expectedOrigin };
  for (const name of CONSOLE_INVOKE_NAMES) {
    // The page's own refusal kind for a caller that is not the console: it is told nothing more.
    const refusal: SenderRefusal<Result<unknown, ConsoleError>> = {
      call: name,
      answer: err({ code: 'refused', refusal: 'forbidden' }),
      log: options.log,
    };
    ipc.handle(
      CONSOLE_INVOKE_CHANNELS[name],
      onlyFromSender(sender, refusal, (args) =>
        invokeConsole(options.handlers, name, args, (call, error) =>
          options.log('handler-failed', { call, error: error instanceof Error ? error.name : typeof error }),
        ),
      ),
    );
  }
  return () => {
    for (const name of CONSOLE_INVOKE_NAMES) ipc.removeHandler(CONSOLE_INVOKE_CHANNELS[name]);
  };
}

/** Sends every view to the console window (the preload caches the latest for late subscribers). */
export function pushConsoleViewTo(contents: Pick<WebContents, 'send' | 'isDestroyed'>, view: ConsoleView): void {
  if (!contents.isDestroyed()) contents.send(CONSOLE_EVENT_CHANNELS.view, view);
}

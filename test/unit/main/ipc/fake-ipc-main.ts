// FAKE ipcMain for the Electron IPC tests (the Electron binary cannot run here): records each channel's handler so a
// test can invoke it as a page would, and builds the invoke event a given window and frame would send.
import type { IpcMainInvokeEvent, WebContents } from 'electron';

type Listener = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

export class FakeIpcMain {
  handlers = new Map<string, Listener>();
  handle(channel: string, listener: Listener): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  call(channel: string, event: IpcMainInvokeEvent, ...args: unknown[]): unknown {
    const listener = this.handlers.get(channel);
    if (listener === undefined) throw new Error(`no handler for ${channel}`);
    return listener(event, ...args);
  }
}

/** The event an invoke from `sender`'s `frame` (null: a frame already gone) carries. */
export const eventFrom = (sender: WebContents, frame: { url: string } | null): IpcMainInvokeEvent =>
  ({ sender, senderFrame: frame }) as unknown as IpcMainInvokeEvent;

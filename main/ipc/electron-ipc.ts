// The only module that imports `ipcMain`. Everything else about IPC lives in kiosk-ipc.ts, console-ipc.ts and pc-ipc.ts.
import { ipcMain } from 'electron';
import { registerConsoleIpc } from './console-ipc.ts';
import type { ConsoleIpcOptions } from './console-ipc.ts';
import { registerKioskIpc } from './kiosk-ipc.ts';
import type { KioskIpcOptions } from './kiosk-ipc.ts';
import { registerPcIpc } from './pc-ipc.ts';
import type { PcIpcOptions } from './pc-ipc.ts';

export function registerElectronKioskIpc(options: KioskIpcOptions): () => void {
  return registerKioskIpc(ipcMain, options);
}

export function registerElectronConsoleIpc(options: ConsoleIpcOptions): () => void {
  return registerConsoleIpc(ipcMain, options);
}

export function registerElectronPcIpc(options: PcIpcOptions): () => void {
  return registerPcIpc(ipcMain, options);
}

// The only module that imports `ipcMain`. Everything else about IPC lives in kiosk-ipc.ts.
import { ipcMain } from 'electron';
import { registerKioskIpc } from './kiosk-ipc.ts';
import type { KioskIpcOptions } from './kiosk-ipc.ts';

export function registerElectronKioskIpc(options: KioskIpcOptions): () => void {
  return registerKioskIpc(ipcMain, options);
}

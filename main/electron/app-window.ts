// The Electron shell's window, for whichever app it shows: the kiosk (kiosk mode, full screen), the agent console
// (`--agent`) or "Set up this PC" (`--pc`), the two last in a normal window beside other programs. One set of
// webPreferences for all three; only the preload (each exposes only its own contract's API) and the page differ.
// The BrowserWindow constructor is passed in, so the options are tested under Node with a FAKE; `webPreferences` stays
// inline in the `new BrowserWindow` call so electronegativity (test/integration/main/electron-shell.test.ts) reads it.
import { join } from 'node:path';
import type { BrowserWindow as ElectronWindow, BrowserWindowConstructorOptions } from 'electron';
import type { ShellApp } from './shell-args.ts';

export interface ShellAppWindow {
  /** The page under the app's origin, e.g. 'pc.html'. */
  readonly page: string;
  /** The preload bundle next to main.mjs (build/build-electron.ts). */
  readonly preload: string;
  /** Kiosk mode and full screen: the kiosk only. */
  readonly kioskMode: boolean;
}

export const SHELL_APP_WINDOWS: { readonly [A in ShellApp]: ShellAppWindow } = {
  kiosk: { page: 'index.html', preload: 'preload.cjs', kioskMode: true },
  // An agent works at a desk beside other programs, and a person at their own PC too: a normal window.
  agent: { page: 'agent.html', preload: 'console-preload.cjs', kioskMode: false },
  pc: { page: 'pc.html', preload: 'pc-preload.cjs', kioskMode: false },
};

export type WindowConstructor = new (options: BrowserWindowConstructorOptions) => ElectronWindow;

export interface AppWindowOptions {
  /** Where main.mjs and the preload bundles are. */
  readonly bundleDir: string;
  /** Devtools only with --dck-dev. */
  readonly devTools: boolean;
}

/** The hardened window for `app`, shown once its page is ready. */
export function createAppWindow(
  BrowserWindow: WindowConstructor,
  app: ShellApp,
  options: AppWindowOptions,
): ElectronWindow {
  const shell = SHELL_APP_WINDOWS[app];
  const window = new BrowserWindow({
    kiosk: shell.kioskMode,
    fullscreen: shell.kioskMode,
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#f3f5f8',
    webPreferences: {
      // Reviewed (electronegativity asks for a review of every preload): preload.ts exposes only the typed
      // KioskApi via contextBridge, each call one ipcRenderer.invoke on a channel of the contract's table;
      // console-preload.ts and pc-preload.ts do the same for the ConsoleApi and the PcApi.
      preload: join(options.bundleDir, shell.preload) /* eng-disable PRELOAD_JS_CHECK */,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // Middle-click must not open links in new windows (they are denied anyway).
      disableBlinkFeatures: 'Auxclick',
      devTools: options.devTools,
    },
  });
  window.once('ready-to-show', () => window.show());
  return window;
}

// The Electron shell's window for each app, built with a FAKE BrowserWindow (the Electron binary cannot run here):
// the same hardened webPreferences for all three, each app's own preload, kiosk mode for the kiosk only.
import { describe, expect, it } from 'vitest';
import type { BrowserWindowConstructorOptions } from 'electron';
import { createAppWindow, SHELL_APP_WINDOWS } from '../../../../main/electron/app-window.ts';
import type { WindowConstructor } from '../../../../main/electron/app-window.ts';
import type { ShellApp } from '../../../../main/electron/shell-args.ts';

/** FAKE BrowserWindow: keeps its options and its once-listeners. */
class FakeWindow {
  static made: FakeWindow[] = [];
  readonly listeners = new Map<string, () => void>();
  shown = false;
  constructor(readonly options: BrowserWindowConstructorOptions) {
    FakeWindow.made.push(this);
  }
  once(event: string, listener: () => void): this {
    this.listeners.set(event, listener);
    return this;
  }
  show(): void {
    this.shown = true;
  }
}

const build = (app: ShellApp, devTools = false): FakeWindow => {
  createAppWindow(FakeWindow as unknown as WindowConstructor, app, { bundleDir: '/opt/dck/out/electron', devTools });
  const made = FakeWindow.made.at(-1);
  if (made === undefined) throw new Error('no window made');
  return made;
};

describe('electron shell window', () => {
  it.each(['kiosk', 'agent', 'pc'] as const)('%s: sandboxed, isolated, no node, web security on', (app) => {
    expect(build(app).options.webPreferences).toEqual({
      preload: `/opt/dck/out/electron/${SHELL_APP_WINDOWS[app].preload}`,
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
      disableBlinkFeatures: 'Auxclick',
      devTools: false,
    });
  });

  it('each app its own preload and page; kiosk mode and full screen for the kiosk only', () => {
    expect(
      (['kiosk', 'agent', 'pc'] as const).map((app) => {
        const { kiosk, fullscreen, webPreferences } = build(app).options;
        return { app, kiosk, fullscreen, preload: webPreferences?.preload, page: SHELL_APP_WINDOWS[app].page };
      }),
    ).toEqual([
      {
        app: 'kiosk',
        kiosk: true,
        fullscreen: true,
        preload: '/opt/dck/out/electron/preload.cjs',
        page: 'index.html',
      },
      {
        app: 'agent',
        kiosk: false,
        fullscreen: false,
        preload: '/opt/dck/out/electron/console-preload.cjs',
        page: 'agent.html',
      },
      { app: 'pc', kiosk: false, fullscreen: false, preload: '/opt/dck/out/electron/pc-preload.cjs', page: 'pc.html' },
    ]);
  });

  it('is hidden until its page is ready, and has devtools only when asked (--dck-dev)', () => {
    const window = build('pc', true);
    expect(window.options.show).toBe(false);
    expect(window.options.webPreferences?.devTools).toBe(true);
    expect(window.shown).toBe(false);
    window.listeners.get('ready-to-show')?.();
    expect(window.shown).toBe(true);
  });
});

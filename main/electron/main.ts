// The Electron shell (production host). Thin on purpose: a hardened full-screen kiosk window, the renderer served
// from a private `app://kiosk` scheme with a strict CSP, IPC wired from the contract's channel table, and the same
// runtime (controller, issuer client, card port) the browser host uses. Bundled by build/build-electron.ts.
// `--agent --issuer URL --ca FILE`: the help-desk console instead (agent.html, console-preload, the console
// service with the agent's card in this machine's reader), in a window with the same hardening that is not kiosk-mode.
// `--pc [--issuer URL --ca FILE] [--store …] [--state DIR] …` (`dck pc --browser`'s options): "Set up this PC"
// (pc.html, pc-preload, pc-controller over `dck pc`'s own steps with the card in this machine's reader), likewise.
// The window (app-window.ts), the command line (shell-args.ts, agent-options.ts), the IPC (ipc/) and the quit
// (clean-quit.ts) are tested under Node; what is left here is the wiring the Electron binary alone can run.
//
// Hardening follows Electron's security checklist: contextIsolation, sandbox, no nodeIntegration, webSecurity,
// CSP, navigation / new windows / webviews / permission requests denied, devtools only with --dck-dev,
// one instance. `webPreferences` stays inline in app-window.ts's BrowserWindow call so electronegativity can read it.
import { join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, net, protocol, session } from 'electron';
import type { WebContents } from 'electron';
import { registerElectronConsoleIpc, registerElectronKioskIpc, registerElectronPcIpc } from '../ipc/electron-ipc.ts';
import { pushConsoleViewTo } from '../ipc/console-ipc.ts';
import { pushViewsTo } from '../ipc/kiosk-ipc.ts';
import { pushPcViewTo } from '../ipc/pc-ipc.ts';
import { existsSync, readFileSync } from 'node:fs';
import { createSmartCardService } from '../../native/pcsc/index.ts';
import { createPcscCardPort } from '../card/pcsc-card-port.ts';
import { startConsoleService } from '../console/console-service.ts';
import { agentShellOptions } from './agent-options.ts';
import { createAppWindow, SHELL_APP_WINDOWS } from './app-window.ts';
import { quitWhenStopped, STOP_DEADLINE_MS } from './clean-quit.ts';
import { closeAfterStep } from './close-after-step.ts';
import { pcShellSettings, shellApp } from './shell-args.ts';
import type { ShellApp } from './shell-args.ts';
import { pcOperations } from '../this-pc/pc-app-operations.ts';
import { createPcController } from '../this-pc/pc-controller.ts';
import { defaultPcStateDir } from '../this-pc/pc-state.ts';
import { kioskConfigPath } from '../config/kiosk-config.ts';
import type { KioskConfigFile } from '../config/kiosk-config.ts';
import { startKioskUpdater } from '../update/kiosk-updater.ts';
import { createElectronUpdater } from './electron-updater.ts';
import { startDeployedKiosk } from '../runtime/deployed-kiosk.ts';
import type { KioskService } from '../runtime/kiosk-runtime.ts';
import { outOfOrderService } from '../runtime/out-of-order.ts';
import type { KioskLog } from '../session/controller.ts';

const SCHEME = 'app';
const ORIGIN = `${SCHEME}://kiosk`;
const DEV = process.argv.includes('--dck-dev');
const HERE = fileURLToPath(new URL('.', import.meta.url));
const RENDERER_DIR = normalize(join(HERE, '..', '..', 'renderer', 'dist'));
const APP = shellApp(process.argv);

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const log = (event: string, fields?: Readonly<Record<string, string | number | boolean>>): void => {
  console.log(JSON.stringify({ at: new Date().toISOString(), event, ...fields }));
};

// Must happen before `ready`: the kiosk's own scheme behaves like https (secure context, standard URLs).
protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false } },
]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
}

// Every webContents ever created (also ones we did not expect) gets the same refusals.
app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

/**
 * Serves renderer/dist under app://kiosk/ with the CSP; kiosk-host.js, agent-host.js and pc-host.js are empty here
 * (the preloads define window.kiosk, window.agentConsole and window.thisPc).
 */
const HOST_SCRIPTS = new Set(['/kiosk-host.js', '/agent-host.js', '/pc-host.js']);

function serveRenderer(): void {
  protocol.handle(SCHEME, (request) => {
    const url = new URL(request.url);
    const headers = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' };
    if (url.host !== 'kiosk') return new Response('not found', { status: 404 });
    if (HOST_SCRIPTS.has(url.pathname)) {
      return new Response('', { headers: { ...headers, 'content-type': 'text/javascript' } });
    }
    const relative = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = normalize(join(RENDERER_DIR, relative));
    if (!file.startsWith(RENDERER_DIR + sep)) return new Response('not found', { status: 404 });
    return net.fetch(pathToFileURL(file).toString()).then((response) => {
      const merged = new Headers(response.headers);
      for (const [name, value] of Object.entries(headers)) merged.set(name, value);
      return new Response(response.body, { status: response.status, headers: merged });
    });
  });
}

function denyPermissions(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}

/** Updates for a configured kiosk: checked on a schedule, installed only when the kiosk is idle (kiosk-updater.ts). */
async function startUpdates(service: KioskService, updates: KioskConfigFile['updates']): Promise<void> {
  if (updates.feedUrl === null) return;
  const updater = await createElectronUpdater(updates.feedUrl);
  if (updater === null) {
    log('updates-unavailable', { reason: 'electron-updater is not in this build' });
    return;
  }
  const stop = startKioskUpdater({
    updater,
    views: service,
    policy: {
      checkEveryMs: updates.checkEveryHours * 3_600_000,
      idleBeforeInstallMs: updates.installAfterIdleMinutes * 60_000,
    },
    log,
  });
  app.on('will-quit', stop);
}

/** The demo's entry, bundled apart (build/build-electron.ts) so this bundle and the package hold no demo. */
const DEMO_MODULE = join(HERE, 'demo.mjs');

function isDemoModule(value: unknown): value is { startElectronDemo: (log: KioskLog) => Promise<KioskService> } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'startElectronDemo' in value &&
    typeof value.startElectronDemo === 'function'
  );
}

/**
 * `--demo`: the demo environment (embedded issuer, virtual card), where this build has it. Otherwise the deployed
 * kiosk: its configuration file, a real issuer, the system's readers; a missing or bad configuration shows the
 * out-of-order screen, never the demo.
 */
async function startKioskService(): Promise<KioskService> {
  if (!process.argv.includes('--demo')) {
    const deployed = await startDeployedKiosk({ configFile: kioskConfigPath(), log });
    if (deployed.updates?.feedUrl != null) await startUpdates(deployed, deployed.updates);
    return deployed;
  }
  if (!existsSync(DEMO_MODULE)) {
    log('demo-unavailable', { reason: 'this build has no demo (packaged kiosks never do)' });
    return outOfOrderService('configuration');
  }
  // A path esbuild cannot follow: the demo stays out of this bundle.
  const demo: unknown = await import(pathToFileURL(DEMO_MODULE).href);
  if (!isDemoModule(demo)) throw new Error(`${DEMO_MODULE} is not the demo entry`);
  return demo.startElectronDemo(log);
}

/** One app's window and what it needs: its IPC, its views, its stop. */
interface AppWiring<View> {
  readonly app: ShellApp;
  /** Registers the app's IPC for the window's contents (null once it closed); returns the unregister. */
  readonly registerIpc: (contents: () => WebContents | null) => () => void;
  /** Calls back with the current view at once, then on every change. */
  readonly onView: (listener: (view: View) => void) => () => void;
  readonly pushView: (contents: WebContents, view: View) => void;
  readonly stop: () => Promise<void>;
  /** An app whose steps must end before its window goes (close-after-step.ts): "Set up this PC". */
  readonly finishBeforeClosing?: () => Promise<void> | null;
}

/**
 * Opens the app's window on its page, pushes every view (and the latest again once the page has loaded: a view sent
 * before the preload listened is lost), and on quit unregisters and stops the app before Electron quits.
 */
async function openAppWindow<View>(wiring: AppWiring<View>): Promise<void> {
  let window: BrowserWindow | null = createAppWindow(BrowserWindow, wiring.app, { bundleDir: HERE, devTools: DEV });
  const contents = (): WebContents | null => (window === null || window.isDestroyed() ? null : window.webContents);
  const unregister = wiring.registerIpc(contents);
  let latest: View | null = null;
  const push = (): void => {
    const target = contents();
    if (target !== null && latest !== null) wiring.pushView(target, latest);
  };
  const unsubscribe = wiring.onView((view) => {
    latest = view;
    push();
  });
  window.webContents.on('did-finish-load', push);
  if (wiring.finishBeforeClosing !== undefined)
    window.on(
      'close',
      closeAfterStep({
        finishBeforeClosing: wiring.finishBeforeClosing,
        close: () => window?.close(),
        deadlineMs: STOP_DEADLINE_MS,
        log,
      }),
    );
  window.on('closed', () => {
    window = null;
  });
  app.on('second-instance', () => window?.focus());
  app.on('window-all-closed', () => app.quit());
  app.on(
    'will-quit',
    quitWhenStopped({
      stop: () => {
        unsubscribe();
        unregister();
        return wiring.stop();
      },
      quit: () => app.quit(),
      deadlineMs: STOP_DEADLINE_MS,
      log,
    }),
  );
  await window.loadURL(`${ORIGIN}/${SHELL_APP_WINDOWS[wiring.app].page}`);
}

/** `--agent`: the console service behind the console window's IPC; the window shows agent.html. */
function agentConsole(): Promise<void> {
  const options = agentShellOptions(process.argv);
  if (!options.ok) throw new Error(options.problem);
  const service = startConsoleService({
    card: createPcscCardPort(createSmartCardService()),
    issuerUrl: options.issuerUrl,
    trustedCaPem: readFileSync(options.caFile, 'utf8'),
    log,
  });
  return openAppWindow({
    app: 'agent',
    registerIpc: (consoleContents) =>
      registerElectronConsoleIpc({
        handlers: service.controller.handlers,
        consoleContents,
        expectedOrigin: ORIGIN,
        log,
      }),
    onView: (listener) => service.controller.onView(listener),
    pushView: pushConsoleViewTo,
    stop: () => service.stop(),
  });
}

/** `--pc`: "Set up this PC" (pc.html) over `dck pc`'s own steps, the card in this machine's reader. */
function thisPc(): Promise<void> {
  const settings = pcShellSettings(process.argv, defaultPcStateDir());
  if (!settings.ok) throw new Error(`--pc: ${settings.problem}`);
  const controller = createPcController({
    card: createPcscCardPort(createSmartCardService()),
    operations: pcOperations(settings.settings),
    log,
  });
  return openAppWindow({
    app: 'pc',
    registerIpc: (pcContents) =>
      registerElectronPcIpc({
        handlers: controller.handlers,
        pcContents,
        expectedPage: `${ORIGIN}/${SHELL_APP_WINDOWS.pc.page}`,
        log,
      }),
    onView: (listener) => controller.onView(listener),
    pushView: pushPcViewTo,
    stop: () => controller.stop(),
    finishBeforeClosing: () => controller.finishBeforeClosing(),
  });
}

async function main(): Promise<void> {
  if (!APP.ok) throw new Error(APP.problem);
  await app.whenReady();
  denyPermissions();
  serveRenderer();
  if (APP.app === 'agent') return agentConsole();
  if (APP.app === 'pc') return thisPc();
  const service = await startKioskService();
  return openAppWindow({
    app: 'kiosk',
    registerIpc: (kioskContents) =>
      registerElectronKioskIpc({ handlers: service.handlers, kioskContents, expectedOrigin: ORIGIN, log }),
    onView: (listener) => service.onView(listener),
    pushView: pushViewsTo,
    stop: () => service.stop(),
  });
}

main().catch((error: unknown) => {
  log('startup-failed', { error: error instanceof Error ? error.message : String(error) });
  app.exit(1);
});

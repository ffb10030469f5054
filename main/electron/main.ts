// The Electron shell (production host). Thin on purpose: a hardened full-screen kiosk window, the renderer served
// from a private `app://kiosk` scheme with a strict CSP, IPC wired from the contract's channel table, and the same
// runtime (controller, issuer client, card port) the browser host uses. Bundled by build/build-electron.ts.
// `--agent --issuer URL --ca FILE`: the help-desk console instead (agent.html, console-preload, the console
// service with the agent's card in this machine's reader), in a window with the same hardening that is not kiosk-mode.
//
// Hardening follows Electron's security checklist: contextIsolation, sandbox, no nodeIntegration, webSecurity,
// CSP, navigation / new windows / webviews / permission requests denied, devtools only with --dck-dev,
// one instance. `webPreferences` stays inline in the BrowserWindow call so electronegativity can read it.
import { join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, net, protocol, session } from 'electron';
import type { WebContents } from 'electron';
import { registerElectronConsoleIpc, registerElectronKioskIpc } from '../ipc/electron-ipc.ts';
import { pushConsoleViewTo } from '../ipc/console-ipc.ts';
import { pushViewsTo } from '../ipc/kiosk-ipc.ts';
import { existsSync, readFileSync } from 'node:fs';
import { createSmartCardService } from '../../native/pcsc/index.ts';
import { createPcscCardPort } from '../card/pcsc-card-port.ts';
import { startConsoleService } from '../console/console-service.ts';
import { agentShellOptions } from './agent-options.ts';
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
const PRELOAD = join(HERE, 'preload.cjs');
const AGENT = process.argv.includes('--agent');
const CONSOLE_PRELOAD = join(HERE, 'console-preload.cjs');

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
 * Serves renderer/dist under app://kiosk/ with the CSP; kiosk-host.js and agent-host.js are empty here (the preloads
 * define window.kiosk and window.agentConsole).
 */
function serveRenderer(): void {
  protocol.handle(SCHEME, (request) => {
    const url = new URL(request.url);
    const headers = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' };
    if (url.host !== 'kiosk') return new Response('not found', { status: 404 });
    if (url.pathname === '/kiosk-host.js' || url.pathname === '/agent-host.js') {
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

/** The kiosk's window, or with `--agent` the console's: the same webPreferences, only the preload differs. */
function createKioskWindow(): BrowserWindow {
  const window = new BrowserWindow({
    // An agent works at a desk beside other programs: a normal window, not kiosk mode.
    kiosk: !AGENT,
    fullscreen: !AGENT,
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#f3f5f8',
    webPreferences: {
      // Reviewed (electronegativity asks for a review of every preload): preload.ts exposes only the typed
      // KioskApi via contextBridge, each call one ipcRenderer.invoke on a channel of the contract's table;
      // console-preload.ts does the same for the ConsoleApi.
      preload: AGENT ? CONSOLE_PRELOAD : PRELOAD /* eng-disable PRELOAD_JS_CHECK */,
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
      devTools: DEV,
    },
  });
  window.once('ready-to-show', () => window.show());
  return window;
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

/** `--agent`: the console service behind the console window's IPC; the window shows agent.html. */
async function agentConsole(): Promise<void> {
  const options = agentShellOptions(process.argv);
  if (!options.ok) throw new Error(options.problem);
  const service = startConsoleService({
    card: createPcscCardPort(createSmartCardService()),
    issuerUrl: options.issuerUrl,
    trustedCaPem: readFileSync(options.caFile, 'utf8'),
    log,
  });
  let window: BrowserWindow | null = createKioskWindow();
  const contents = (): WebContents | null => (window === null || window.isDestroyed() ? null : window.webContents);
  const unregister = registerElectronConsoleIpc({
    handlers: service.controller.handlers,
    consoleContents: contents,
    expectedOrigin: ORIGIN,
    log,
  });
  // onView calls back at once with the current view; the preload keeps the latest for the page.
  const unsubscribe = service.controller.onView((view) => {
    const target = contents();
    if (target !== null) pushConsoleViewTo(target, view);
  });
  window.on('closed', () => {
    window = null;
  });
  app.on('second-instance', () => window?.focus());
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    unsubscribe();
    unregister();
    void service.stop();
  });
  await window.loadURL(`${ORIGIN}/agent.html`);
}

async function main(): Promise<void> {
  await app.whenReady();
  denyPermissions();
  serveRenderer();
  if (AGENT) return agentConsole();
  const service = await startKioskService();
  let window: BrowserWindow | null = createKioskWindow();
  const contents = (): WebContents | null => (window === null || window.isDestroyed() ? null : window.webContents);
  const unregister = registerElectronKioskIpc({
    handlers: service.handlers,
    kioskContents: contents,
    expectedOrigin: ORIGIN,
    log,
  });
  const unsubscribe = service.onView((view) => {
    const target = contents();
    if (target !== null) pushViewsTo(target, view);
  });
  window.webContents.on('did-finish-load', () => {
    const target = contents();
    if (target !== null) pushViewsTo(target, service.view);
  });
  window.on('closed', () => {
    window = null;
  });
  app.on('second-instance', () => window?.focus());
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    unsubscribe();
    unregister();
    void service.stop();
  });
  await window.loadURL(`${ORIGIN}/index.html`);
}

main().catch((error: unknown) => {
  log('startup-failed', { error: error instanceof Error ? error.message : String(error) });
  app.exit(1);
});

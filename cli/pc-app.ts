// `dck pc --browser`: the desktop app's "Set up this PC" screens (renderer/pc/) in Chromium through the browser host,
// over the same steps as `dck pc enroll|renew|remove` (main/this-pc/pc-setup.ts: state file, token, key store, NSS
// or Windows' certreq, renewal reminder). The card is read from this machine's readers by the kiosk's card port;
// its PIN comes from the page's keypad, once, and is wiped in main after VERIFY.
//
// The steps are `dck pc`'s own (main/this-pc/pc-setup.ts, no printing); this file maps them onto the screens.
//
// Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 could not start, 2 wrong command line.
import { ensureRendererBuilt, RENDERER_DIST } from '../build/renderer-build.ts';
import type { PcInstalled } from '../contracts/pc-api.ts';
import { err, ok } from '../contracts/kiosk-api.ts';
import type { Result } from '../contracts/kiosk-api.ts';
import { startPcBrowserHost } from '../main/browser-host/browser-host.ts';
import type { RunningBrowserHost } from '../main/browser-host/browser-host.ts';
import { pcHostScript } from '../main/browser-host/kiosk-host-bundle.ts';
import type { KioskCardPort } from '../main/card/card-port.ts';
import { createPcscCardPort } from '../main/card/pcsc-card-port.ts';
import { createPcController } from '../main/this-pc/pc-controller.ts';
import type { PcLog, PcOperations, SignInWith } from '../main/this-pc/pc-controller.ts';
import type { PcError } from '../main/this-pc/pc-errors.ts';
import {
  enrollHere,
  hostModel,
  installedOnStore,
  PcSetupError,
  platformWindowsHost,
  removeHere,
  renewHere,
} from '../main/this-pc/pc-setup.ts';
import type { PcHost } from '../main/this-pc/pc-setup.ts';
import { defaultPcStateDir, loadPcState } from '../main/this-pc/pc-state.ts';
import type { PcState } from '../main/this-pc/pc-state.ts';
import type { WindowsPcHost } from '../main/this-pc/pc-windows.ts';
import type { PcCredential } from '../main/this-pc/this-pc.ts';
import { DeviceKeyError } from '../native/device-keys/index.ts';
import { createSmartCardService } from '../native/pcsc/index.ts';
import { integerOption, parseArgs, UsageError } from './args.ts';
import { eventLogLine, runBrowserSession } from './browser-session.ts';

const USAGE = `usage: dck pc --browser [--issuer URL --ca FILE] [--store tpm|software] [--state DIR]
                        [--nss-db DIR|none] [--systemd-dir DIR] [--no-open] [--port PORT]

The app's "Set up this PC" screens in Chromium: what this PC holds (expiry, renewal due), Set up / Renew with the
card in this machine's reader and its PIN on the screen's keypad, Remove (asks first). --issuer and --ca are needed
for the first set-up only (later runs use the ones it saved). The other options are \`dck pc enroll\`'s.
The launch URL carries a single-use token (as \`dck kiosk\`). Stop with Ctrl-C.`;

const OPTIONS = {
  '--issuer': 'value',
  '--ca': 'value',
  '--store': 'value',
  '--state': 'value',
  '--nss-db': 'value',
  '--systemd-dir': 'value',
  '--no-open': 'flag',
  '--port': 'value',
} as const;

export interface PcAppSettings {
  readonly stateDir: string;
  /** For a first set-up; a PC that has state uses the issuer and CA file it saved. */
  readonly issuerUrl?: string;
  readonly caFile?: string;
  /**
   * As `dck pc enroll --store`. Unset: the TPM, except on a Windows PC without one, where Windows' software provider
   * is used when the tenant allows software keys (pc-setup.ts decides, for the CLI and the app alike).
   */
  readonly protection: 'tpm' | 'software' | undefined;
  /** As `dck pc enroll --nss-db` (undefined: ~/.pki/nssdb; 'none': leave NSS alone). */
  readonly nssDb?: string;
  readonly systemdDir?: string;
}

export interface RunningPcApp {
  readonly host: RunningBrowserHost;
  stop(): Promise<void>;
}

/** The controller and the browser host serving pc.html; `card` is the kiosk's card port (tests: a private pcscd). */
export async function startPcApp(
  settings: PcAppSettings,
  card: KioskCardPort,
  options: { readonly port?: number; readonly log?: PcLog } = {},
): Promise<RunningPcApp> {
  const controller = createPcController({
    card,
    operations: pcOperations(settings),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  try {
    const host = await startPcBrowserHost({
      handlers: controller.handlers,
      subscribeViews: (listener) => controller.onView(listener),
      rendererDir: RENDERER_DIST,
      pcHostScript: await pcHostScript(),
      ...options,
    });
    return {
      host,
      stop: async () => {
        await host.close();
        await controller.stop();
      },
    };
  } catch (error) {
    await controller.stop();
    throw error;
  }
}

export async function runPcApp(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let settings: PcAppSettings;
  let port: number | undefined;
  let open: boolean;
  try {
    const values = parseArgs(args, OPTIONS, 'dck pc --browser');
    const protection = values['--store'];
    if (protection !== undefined && protection !== 'tpm' && protection !== 'software')
      throw new UsageError('--store is tpm or software');
    if ((values['--issuer'] === undefined) !== (values['--ca'] === undefined))
      throw new UsageError('--issuer URL and --ca FILE go together');
    port = integerOption(values['--port'], '--port', 1, 65535);
    open = values['--no-open'] !== true;
    settings = {
      stateDir: values['--state'] ?? defaultPcStateDir(),
      protection,
      ...optional('issuerUrl', values['--issuer']),
      ...optional('caFile', values['--ca']),
      ...optional('nssDb', values['--nss-db']),
      ...optional('systemdDir', values['--systemd-dir']),
    };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`dck pc --browser: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  await ensureRendererBuilt(() => console.log('building the UI (vite build)…'));
  let running: RunningPcApp;
  try {
    running = await startPcApp(settings, createPcscCardPort(createSmartCardService()), {
      ...(port === undefined ? {} : { port }),
      log: eventLogLine('this pc'),
    });
  } catch (error) {
    console.error(`dck pc --browser: could not start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  return runBrowserSession({ label: 'this PC', host: running.host, open, stop: () => running.stop() });
}

const optional = <K extends string>(key: K, value: string | undefined): { [P in K]?: string } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };

// ---- the operations the screens run ---------------------------------------------------------

const installedView = (state: PcState, credential: PcCredential, inStore: boolean | null): PcInstalled => ({
  serialNumberHex: credential.serialNumberHex,
  protection: state.store,
  notAfter: new Date(credential.notAfter).toISOString(),
  renewalDueAt: new Date(credential.renewalDueAt).toISOString(),
  inStore,
});

/** A setting or key-store error (a missing token PIN file, an unreadable CA) as the key store's fault on screen. */
async function asResult<T>(work: () => Promise<Result<T, PcError>>): Promise<Result<T, PcError>> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PcSetupError || error instanceof DeviceKeyError)
      return err({ code: 'store-failed', message: error.message });
    throw error;
  }
}

/**
 * The screens' operations: `dck pc`'s own steps (main/this-pc/pc-setup.ts) on the same machine as `dck pc` (Windows'
 * certreq and Task Scheduler on win32, else PKCS#11, NSS and systemd), signed in through the screens (the PIN from
 * the page). `windows`: the tests' FAKE Windows; by default this process's platform.
 */
export function pcOperations(
  settings: PcAppSettings,
  windows: WindowsPcHost | null = platformWindowsHost(),
): PcOperations {
  const dir = settings.stateDir;
  const hostFor = (signIn: SignInWith): PcHost => ({ windows, signIn: (issuer) => signIn(issuer) });
  const places = { nssDb: settings.nssDb, systemdDir: settings.systemdDir };

  return {
    installed: async () => {
      const loaded = await loadPcState(dir);
      if (!loaded.ok) {
        if (loaded.missing) return null;
        throw new Error(loaded.message);
      }
      const credential = loaded.state.credential;
      if (credential === null) return null;
      const host = hostFor(() => Promise.reject(new Error('no sign-in to read the key store')));
      return installedView(loaded.state, credential, await installedOnStore(host, dir, loaded.state, credential));
    },

    enroll: (signIn, onStep) =>
      asResult(async () => {
        const previous = await loadPcState(dir);
        if (!previous.ok && !previous.missing) return err({ code: 'store-failed', message: previous.message });
        const saved = previous.ok ? previous.state : null;
        const issuerUrl = settings.issuerUrl ?? saved?.issuerUrl;
        const caFile = settings.caFile ?? saved?.caFile;
        if (issuerUrl === undefined || caFile === undefined)
          return err({ code: 'issuer-unreachable', message: 'no issuer: start with --issuer URL --ca FILE' });
        const enrolled = await enrollHere(hostFor(signIn), {
          dir,
          issuerUrl,
          caFile,
          protection: settings.protection,
          model: hostModel(),
          onStep,
          ...places,
        });
        if (!enrolled.ok) return enrolled;
        return ok(installedView(enrolled.value.state, enrolled.value.credential, true));
      }),

    renew: (signIn, onStep) =>
      asResult(async () => {
        const renewed = await renewHere(hostFor(signIn), dir, { onStep });
        if (!renewed.ok) return renewed;
        const { state, credential, oldCredentialLeft } = renewed.value;
        return ok({ installed: installedView(state, credential, true), oldCredentialLeft: oldCredentialLeft !== null });
      }),

    remove: (onStep) =>
      asResult(() =>
        removeHere(
          hostFor(() => Promise.reject(new Error("removal signs with this PC's key, not the card"))),
          dir,
          { onStep, ...places },
        ),
      ),
  };
}

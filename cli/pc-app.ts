// `dck pc --browser`: the desktop app's "Set up this PC" screens (renderer/pc/) in Chromium through the browser host,
// over the same pieces as `dck pc enroll|renew|remove` (cli/commands/pc.ts: state file, token, key store, NSS,
// renewal reminder) and the same flow (main/this-pc/this-pc.ts). The card is read from this machine's readers by
// the kiosk's card port; its PIN comes from the page's keypad, once, and is wiped in main after VERIFY.
//
// The operations below repeat the CLI commands' steps without their printing. Folding both onto one module in
// main/this-pc/ waits for the Windows wiring of `dck pc` (another change in flight in cli/commands/pc.ts).
//
// Exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 could not start, 2 wrong command line.
import { ensureRendererBuilt, RENDERER_DIST } from '../build/renderer-build.ts';
import type { PcInstalled, PcWorkStep } from '../contracts/pc-api.ts';
import { err, ok } from '../contracts/kiosk-api.ts';
import type { Result } from '../contracts/kiosk-api.ts';
import { startPcBrowserHost } from '../main/browser-host/browser-host.ts';
import { pcHostScript } from '../main/browser-host/kiosk-host-bundle.ts';
import type { KioskCardPort } from '../main/card/card-port.ts';
import { createPcscCardPort } from '../main/card/pcsc-card-port.ts';
import { HttpsIssuerClient } from '../main/issuer-client/https-issuer-client.ts';
import { createPcController } from '../main/this-pc/pc-controller.ts';
import type { PcLog, PcOperations, SignInWith } from '../main/this-pc/pc-controller.ts';
import type { PcError } from '../main/this-pc/pc-errors.ts';
import { reportingSteps } from '../main/this-pc/pc-progress.ts';
import {
  defaultPcStateDir,
  loadPcState,
  newDeviceId,
  removeCredentialState,
  savePcState,
} from '../main/this-pc/pc-state.ts';
import type { PcState } from '../main/this-pc/pc-state.ts';
import { defaultSystemdUserDir, removeRenewalUnits } from '../main/this-pc/renewal-timer.ts';
import { enrollThisPc, removeThisPc, renewThisPc } from '../main/this-pc/this-pc.ts';
import type { PcCredential, ThisPc } from '../main/this-pc/this-pc.ts';
import type { RunningBrowserHost } from '../main/browser-host/browser-host.ts';
import { DeviceKeyError, unregisterModuleFromNss } from '../native/device-keys/index.ts';
import { createSmartCardService } from '../native/pcsc/index.ts';
import { integerOption, parseArgs, UsageError } from './args.ts';
import { eventLogLine, runBrowserSession } from './browser-session.ts';
import {
  afterInstall,
  enrolledState,
  hostModel,
  installedOnStore,
  nssDirectory,
  prepareToken,
  readCa,
  retryRetiring,
  storeLabel,
  thisPc,
} from './commands/pc.ts';
import type { PcHost } from './commands/pc.ts';

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
  readonly protection: 'tpm' | 'software';
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
    const protection = values['--store'] ?? 'tpm';
    if (protection !== 'tpm' && protection !== 'software') throw new UsageError('--store is tpm or software');
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

/**
 * The app's machine: Linux (PKCS#11, NSS, systemd) only for now; the Windows host of `dck pc` (pc-windows.ts) is not
 * wired into the app yet. Its sign-in is the screens' own (the PIN from the page), given per run below.
 */
const APP_HOST: PcHost = {
  windows: null,
  signIn: () => Promise.resolve(err({ code: 'card-error', message: 'the app signs in through its own screens' })),
};

const installedView = (state: PcState, credential: PcCredential, inStore: boolean | null): PcInstalled => ({
  serialNumberHex: credential.serialNumberHex,
  protection: state.store,
  notAfter: new Date(credential.notAfter).toISOString(),
  renewalDueAt: new Date(credential.renewalDueAt).toISOString(),
  inStore,
});

/** A thrown command-line or key-store error (a missing token PIN file, an unreadable CA) as the person's fault. */
async function asResult<T>(work: () => Promise<Result<T, PcError>>): Promise<Result<T, PcError>> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UsageError || error instanceof DeviceKeyError)
      return err({ code: 'store-failed', message: error.message });
    throw error;
  }
}

export function pcOperations(settings: PcAppSettings): PcOperations {
  const dir = settings.stateDir;
  const issuerFor = async (state: Pick<PcState, 'issuerUrl' | 'caFile'>): Promise<HttpsIssuerClient> =>
    new HttpsIssuerClient({ baseUrl: state.issuerUrl, trustedCaPem: await readCa(state.caFile) });
  const stepped = (pc: ThisPc, signIn: SignInWith, onStep: (step: PcWorkStep) => void): ThisPc =>
    reportingSteps({ ...pc, signIn: () => signIn(pc.issuer) }, onStep);

  return {
    installed: async () => {
      const loaded = await loadPcState(dir);
      if (!loaded.ok) {
        if (loaded.missing) return null;
        throw new Error(loaded.message);
      }
      const credential = loaded.state.credential;
      if (credential === null) return null;
      return installedView(loaded.state, credential, await installedOnStore(APP_HOST, dir, loaded.state, credential));
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
        const issuer = await issuerFor({ issuerUrl, caFile });
        try {
          const metadata = await issuer.metadata();
          const state: PcState = {
            version: 1,
            issuerUrl,
            caFile,
            deviceId: saved?.deviceId ?? newDeviceId(),
            store: settings.protection,
            label: storeLabel(metadata.ok ? metadata.value.displayName : ''),
            credential: null,
            retiring: [],
          };
          const tokenPin = await prepareToken(dir, settings.protection);
          if (!tokenPin.ok) return tokenPin;
          try {
            const pc = thisPc(APP_HOST, state, issuer, tokenPin.pin, undefined, hostModel());
            const enrolled = await enrollThisPc(stepped(pc, signIn, onStep));
            if (!enrolled.ok) return enrolled;
            await savePcState(dir, { ...state, credential: enrolled.value });
            await afterInstall(state, dir, settings.nssDb, settings.systemdDir);
            return ok(installedView(state, enrolled.value, true));
          } finally {
            tokenPin.pin.fill(0);
          }
        } finally {
          issuer.close();
        }
      }),

    renew: (signIn, onStep) =>
      asResult(async () => {
        const { state, pin } = await enrolledState(dir, APP_HOST);
        const issuer = await issuerFor(state);
        try {
          const credential = state.credential;
          if (credential === null) return err({ code: 'not-enrolled', message: 'This PC is not set up.' });
          const pc = thisPc(APP_HOST, state, issuer, pin, undefined, hostModel());
          const renewed = await renewThisPc(stepped(pc, signIn, onStep), credential);
          if (!renewed.ok) return renewed;
          const retiring = await retryRetiring(pc, state.retiring);
          const left = renewed.value.oldCredentialLeft !== null;
          if (left) retiring.push(credential);
          await savePcState(dir, { ...state, credential: renewed.value.credential, retiring });
          return ok({ installed: installedView(state, renewed.value.credential, true), oldCredentialLeft: left });
        } finally {
          pin.fill(0);
          issuer.close();
        }
      }),

    remove: (onStep) =>
      asResult(async () => {
        const { state, pin } = await enrolledState(dir, APP_HOST);
        const issuer = await issuerFor(state);
        try {
          const pc = reportingSteps(thisPc(APP_HOST, state, issuer, pin, undefined, undefined), onStep);
          const all = [...(state.credential === null ? [] : [state.credential]), ...state.retiring];
          const left: PcCredential[] = [];
          let firstError: PcError | null = null;
          for (const credential of all) {
            const removed = await removeThisPc(pc, credential);
            if (!removed.ok) {
              left.push(credential);
              firstError ??= removed.error;
            }
          }
          if (firstError !== null) {
            // What the issuer did not confirm stays, key and all, so a later removal can still sign its revocation.
            const [current, ...rest] = left;
            await savePcState(dir, { ...state, credential: current ?? null, retiring: rest });
            return err(firstError);
          }
          await removeCredentialState(dir);
          await removeRenewalUnits(settings.systemdDir ?? defaultSystemdUserDir());
          const nss = nssDirectory(settings.nssDb);
          if (nss !== null) await unregisterModuleFromNss({ directory: nss }).catch(() => undefined);
          return ok(null);
        } finally {
          pin.fill(0);
          issuer.close();
        }
      }),
  };
}

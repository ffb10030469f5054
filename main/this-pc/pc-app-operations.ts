// The "Set up this PC" app's operations (contracts' PcOperations port of pc-controller.ts): `dck pc`'s own steps
// (pc-setup.ts: state file, token, key store, NSS or Windows' certreq, renewal reminder) mapped onto the screens.
// Both hosts of the app use them: `dck pc --browser` (cli/pc-app.ts) and Electron's `--pc` (main/electron/main.ts).
import type { PcInstalled, PcWorkStep } from '../../contracts/pc-api.ts';
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';
import { DeviceKeyError } from '../../native/device-keys/index.ts';
import type { PcAppSettings } from './pc-app-settings.ts';
import type { PcOperations, SignInWith } from './pc-controller.ts';
import type { PcError } from './pc-errors.ts';
import { isHeldLock } from './pc-lock.ts';
import type { HeldPcLock } from './pc-lock.ts';
import {
  enrollHere,
  holdPcLock,
  hostModel,
  installedOnStore,
  PcSetupError,
  platformWindowsHost,
  removeHere,
  renewHere,
} from './pc-setup.ts';
import type { PcHost } from './pc-setup.ts';
import { loadPcState } from './pc-state.ts';
import type { PcState } from './pc-state.ts';
import type { WindowsPcHost } from './pc-windows.ts';
import type { PcCredential } from './this-pc.ts';

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

  /** The app's enroll: the saved issuer unless given, the state read once, under the lock the caller holds. */
  const enrollUnderLock = async (
    signIn: SignInWith,
    onStep: (step: PcWorkStep) => void,
    lock: HeldPcLock,
  ): Promise<Result<{ installed: PcInstalled; unfinishedKeysRemoved: number }, PcError>> => {
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
      previous: { lock, load: previous },
      ...places,
    });
    if (!enrolled.ok) return enrolled;
    return ok({
      installed: installedView(enrolled.value.state, enrolled.value.credential, true),
      unfinishedKeysRemoved: enrolled.value.unfinishedKeysRemoved,
    });
  };

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
        // The lock before the state is read: another run (`dck pc` in a terminal) must not change it meanwhile.
        const lock = await holdPcLock(dir);
        if (!isHeldLock(lock)) return err(lock);
        try {
          return await enrollUnderLock(signIn, onStep, lock);
        } finally {
          await lock.release();
        }
      }),

    renew: (signIn, onStep) =>
      asResult(async () => {
        const renewed = await renewHere(hostFor(signIn), dir, { onStep });
        if (!renewed.ok) return renewed;
        const { state, credential, oldCredentialLeft, unfinishedKeysRemoved } = renewed.value;
        return ok({
          installed: installedView(state, credential, true),
          oldCredentialLeft: oldCredentialLeft !== null,
          unfinishedKeysRemoved,
        });
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

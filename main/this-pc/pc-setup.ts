// "Set up this PC" on this machine: the one home of the steps `dck pc enroll|renew|remove` (cli/commands/pc.ts, which
// prints) and the app's screens (cli/pc-app.ts → pc-controller.ts) both run: the state file, the token and its PIN,
// the key store (PKCS#11 on Linux, certreq on Windows), NSS and the renewal reminder, over the flow of this-pc.ts.
// Nothing here prints: each function returns its outcome (and the lines worth telling), and the caller words it.
//
// Nothing half-done: a refused enrollment leaves no state; a renewal keeps the old credential in `retiring` until the
// issuer confirms its revocation; a removal keeps what the issuer did not confirm, key and all, so a later removal
// can still sign its revocation.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KeyProtection } from '../../contracts/issuer-api.ts';
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';
import type { PcWorkStep } from '../../contracts/pc-api.ts';
import { HttpsIssuerClient } from '../issuer-client/https-issuer-client.ts';
import { DEFAULT_DEADLINE_MS as ISSUER_CALL_DEADLINE_MS } from '../../contracts/issuer-caller.ts';
import type { PcError } from './pc-errors.ts';
import { HEARTBEAT_MS, isHeldLock, takePcLock } from './pc-lock.ts';
import type { HeldPcLock } from './pc-lock.ts';
import { reportingSteps } from './pc-progress.ts';
import {
  beginTokenSetup,
  finishTokenSetup,
  loadPcState,
  newDeviceId,
  readTokenPin,
  readTokenSetup,
  removeCredentialState,
  removeTokenSetup,
  savePcState,
} from './pc-state.ts';
import type { PcState, StateLoad } from './pc-state.ts';
import {
  chooseWindowsProtection,
  nodeWindowsPcHost,
  registerWindowsReminder,
  removeWindowsReminder,
  windowsStore,
} from './pc-windows.ts';
import type { WindowsPcHost } from './pc-windows.ts';
import { defaultSystemdUserDir, removeRenewalUnits, writeRenewalUnits, RENEWAL_UNIT } from './renewal-timer.ts';
import {
  enrollThisPc,
  removeThisPc,
  renewThisPc,
  storeFailure,
  sweepUnfinishedKeys,
  sweptKeysNote,
} from './this-pc.ts';
import type { PcCredential, ThisPc } from './this-pc.ts';
import {
  DEFAULT_STORE_DEADLINE_MS,
  DeviceKeyError,
  Pkcs11StoreProcess,
  registerModuleInNss,
  SOFTHSM2_MODULE,
  TPM2_PKCS11_MODULE,
  unregisterModuleFromNss,
} from '../../native/device-keys/index.ts';

const TOKEN_LABEL = 'dck this pc';
const MODULES: Record<KeyProtection, string> = { tpm: TPM2_PKCS11_MODULE, software: SOFTHSM2_MODULE };
const MAX_CA_FILE_BYTES = 64 * 1024;
/** What the renewal reminder runs (`dck pc status --notify`). */
export const DCK_ENTRY = fileURLToPath(new URL('../../bin/dck.js', import.meta.url));
const run$ = promisify(execFile);

/**
 * A setting the person must fix (no state, an unreadable CA file, a missing token PIN file): `dck pc` prints it with
 * its usage (exit 2), the app shows it as the key store's fault.
 */
export class PcSetupError extends Error {
  override readonly name = 'PcSetupError';
}

/** The machine this PC is: Linux (PKCS#11, NSS, systemd) or, with `windows`, Windows (certreq, Task Scheduler). */
export interface PcHost {
  readonly windows: WindowsPcHost | null;
  /** Card + PIN → PKI-AUTH: `dck pc` reads the reader's card and a typed PIN; the app, its screens. */
  readonly signIn: (issuer: HttpsIssuerClient, reader: string | undefined) => ReturnType<ThisPc['signIn']>;
}

/** This process's platform: the Windows commands on win32, else none (Linux). */
export const platformWindowsHost = (): WindowsPcHost | null =>
  process.platform === 'win32' ? nodeWindowsPcHost(DCK_ENTRY) : null;

/** Where NSS and the systemd reminder go on Linux (undefined: the user's defaults; nssDb 'none': leave NSS alone). */
export interface PcLinuxPlaces {
  readonly nssDb?: string | undefined;
  readonly systemdDir?: string | undefined;
}

/** Per run: the card reader to use, the model the issuer records, and who hears of each step (the app's screens). */
export interface PcRun {
  readonly reader?: string | undefined;
  readonly onStep?: ((step: PcWorkStep) => void) | undefined;
  /** A line to tell the person at once (an earlier run's lock taken over: pc-lock.ts). */
  readonly onNote?: ((line: string) => void) | undefined;
}

/** The state as read under this PC's lock (the caller holds it and releases it after the enrollment). */
export interface LockedStateLoad {
  readonly lock: HeldPcLock;
  readonly load: StateLoad;
}

/**
 * This PC's lock (pc-lock.ts), or `another-run`. Stale once not touched for longer than the longest step's deadline:
 * a store call (DCK_PC_TPM_DEADLINE_SECONDS) or an issuer call, plus one heartbeat.
 */
export async function holdPcLock(dir: string, onNote?: (line: string) => void): Promise<HeldPcLock | PcError> {
  const lock = await takePcLock(dir, {
    staleAfterMs: Math.max(storeDeadlineMs(), ISSUER_CALL_DEADLINE_MS) + HEARTBEAT_MS,
    uid: process.getuid?.(),
  });
  if (isHeldLock(lock) && lock.takeOverNote !== null) onNote?.(lock.takeOverNote);
  return lock;
}

/** `work` under this PC's lock, released on every path; `another-run` when another run holds it. */
async function underLock<T>(
  dir: string,
  run: Pick<PcRun, 'onNote'>,
  work: () => Promise<Result<T, PcError>>,
): Promise<Result<T, PcError>> {
  const lock = await holdPcLock(dir, run.onNote);
  if (!isHeldLock(lock)) return err(lock);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

// ---- enroll, renew, remove --------------------------------------------------------------------

export interface PcEnrollRequest extends PcLinuxPlaces, PcRun {
  readonly dir: string;
  readonly issuerUrl: string;
  readonly caFile: string;
  /** undefined: the TPM (on Windows without a TPM, its software provider). */
  readonly protection: KeyProtection | undefined;
  readonly model?: string | undefined;
  /**
   * The state file as the caller read it already under this PC's lock, which it holds (the app reads it for the
   * issuer it saved), so it is read once per enrollment; when not given (`dck pc enroll`), the lock is taken and the
   * state read here.
   */
  readonly previous?: LockedStateLoad | undefined;
}

export interface PcEnrolled {
  readonly state: PcState;
  readonly credential: PcCredential;
  /** Why the protection is not the one asked for (Windows without a TPM), or null. */
  readonly protectionNote: string | null;
  /** NSS and reminder outcomes (and the unfinished keys removed): the credential is installed either way. */
  readonly extras: readonly string[];
  /** Keys an earlier cut-off attempt left without a certificate, removed before this one (this-pc.ts sweep). */
  readonly unfinishedKeysRemoved: number;
}

export async function enrollHere(host: PcHost, request: PcEnrollRequest): Promise<Result<PcEnrolled, PcError>> {
  if (request.previous !== undefined) return enrollLocked(host, request, request.previous.load);
  return underLock(request.dir, request, async () => enrollLocked(host, request, await loadPcState(request.dir)));
}

async function enrollLocked(
  host: PcHost,
  request: PcEnrollRequest,
  previous: StateLoad,
): Promise<Result<PcEnrolled, PcError>> {
  const { dir } = request;
  if (previous.ok && previous.state.credential !== null)
    return err({
      code: 'store-failed',
      message: 'This PC is already set up: use `dck pc renew` or `dck pc remove`.',
    });
  if (!previous.ok && !previous.missing) throw new PcSetupError(previous.message);
  // Windows without a TPM falls back to its software provider unless asked which (the issuer has the last word).
  const chosen = host.windows === null ? null : await chooseWindowsProtection(host.windows, request.protection);
  if (chosen?.ok === false) return chosen;
  const protection = chosen?.value.protection ?? request.protection ?? 'tpm';
  const caFile = resolve(request.caFile);
  const issuer = new HttpsIssuerClient({ baseUrl: request.issuerUrl, trustedCaPem: await readCa(caFile) });
  try {
    const metadata = await issuer.metadata();
    const state: PcState = {
      version: 1,
      issuerUrl: request.issuerUrl,
      caFile,
      deviceId: previous.ok ? previous.state.deviceId : newDeviceId(),
      store: protection,
      label: storeLabel(metadata.ok ? metadata.value.displayName : ''),
      credential: null,
      retiring: [],
    };
    const tokenPin =
      host.windows === null ? await prepareToken(dir, protection, request.onNote ?? (() => undefined)) : noTokenPin();
    if (!tokenPin.ok) return err(tokenPin.error);
    try {
      const pc = thisPc(host, state, issuer, tokenPin.pin, request, request.model);
      const swept = await sweepUnfinishedKeys(pc.store, previous.ok ? keyIdsOf(previous.state) : []);
      const enrolled = await enrollThisPc(pc);
      if (!enrolled.ok) return enrolled;
      await savePcState(dir, { ...state, credential: enrolled.value });
      const extras = [
        ...sweptKeysNote(swept),
        ...(host.windows === null
          ? await afterInstall(state, dir, request.nssDb, request.systemdDir)
          : [await registerWindowsReminder(host.windows, dir)]),
      ];
      return ok({
        state,
        credential: enrolled.value,
        protectionNote: chosen?.value.note ?? null,
        extras,
        unfinishedKeysRemoved: swept,
      });
    } finally {
      tokenPin.pin.fill(0);
    }
  } finally {
    issuer.close();
  }
}

export interface PcRenewed {
  readonly state: PcState;
  readonly credential: PcCredential;
  /** Why the old credential is not revoked yet (kept in `retiring`: the next renew or remove retries), or null. */
  readonly oldCredentialLeft: PcError | null;
  /** Keys an earlier cut-off attempt left without a certificate, removed before this one (this-pc.ts sweep). */
  readonly unfinishedKeysRemoved: number;
}

export function renewHere(host: PcHost, dir: string, request: PcRun): Promise<Result<PcRenewed, PcError>> {
  return underLock(dir, request, () => renewLocked(host, dir, request));
}

async function renewLocked(host: PcHost, dir: string, request: PcRun): Promise<Result<PcRenewed, PcError>> {
  const { state, pin } = await enrolledState(dir, host);
  try {
    const issuer = new HttpsIssuerClient({ baseUrl: state.issuerUrl, trustedCaPem: await readCa(state.caFile) });
    try {
      const credential = state.credential;
      if (credential === null) return err({ code: 'not-enrolled', message: 'This PC is not set up.' });
      const pc = thisPc(host, state, issuer, pin, request, hostModel());
      const swept = await sweepUnfinishedKeys(pc.store, keyIdsOf(state));
      const renewed = await renewThisPc(pc, credential);
      if (!renewed.ok) return renewed;
      const retiring = await retryRetiring(pc, state.retiring);
      if (renewed.value.oldCredentialLeft !== null) retiring.push(credential);
      await savePcState(dir, { ...state, credential: renewed.value.credential, retiring });
      return ok({
        state,
        credential: renewed.value.credential,
        oldCredentialLeft: renewed.value.oldCredentialLeft,
        unfinishedKeysRemoved: swept,
      });
    } finally {
      issuer.close();
    }
  } finally {
    pin.fill(0);
  }
}

/** Revokes (signed by this PC's key) then deletes every credential this PC holds, then NSS and the reminder. */
export function removeHere(
  host: PcHost,
  dir: string,
  request: PcLinuxPlaces & Pick<PcRun, 'onStep' | 'onNote'>,
): Promise<Result<null, PcError>> {
  return underLock(dir, request, () => removeLocked(host, dir, request));
}

async function removeLocked(
  host: PcHost,
  dir: string,
  request: PcLinuxPlaces & Pick<PcRun, 'onStep'>,
): Promise<Result<null, PcError>> {
  const { state, pin } = await enrolledState(dir, host);
  try {
    const issuer = new HttpsIssuerClient({ baseUrl: state.issuerUrl, trustedCaPem: await readCa(state.caFile) });
    try {
      const pc = thisPc(host, state, issuer, pin, { onStep: request.onStep }, undefined);
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
        const [current, ...rest] = left;
        await savePcState(dir, { ...state, credential: current ?? null, retiring: rest });
        return err(firstError);
      }
      await removeCredentialState(dir);
      if (host.windows !== null) await removeWindowsReminder(host.windows).catch(() => undefined);
      else {
        await removeRenewalUnits(request.systemdDir ?? defaultSystemdUserDir());
        const nss = nssDirectory(request.nssDb);
        if (nss !== null)
          await unregisterModuleFromNss({ directory: nss, deadlineMs: storeDeadlineMs() }).catch(() => undefined);
      }
      return ok(null);
    } finally {
      issuer.close();
    }
  } finally {
    pin.fill(0);
  }
}

/** Whether the credential is still in the key store: null when the store does not answer now (TPM busy). */
export async function installedOnStore(
  host: PcHost,
  dir: string,
  state: PcState,
  credential: PcCredential,
): Promise<boolean | null> {
  if (host.windows === null) prepareModuleEnvironment(dir, state.store);
  const pin = host.windows === null ? await readTokenPin(dir) : noTokenPin().pin;
  if (pin === null) return false;
  try {
    const store = host.windows === null ? storeFor(state.store, pin) : windowsStore(host.windows, state.store);
    const listed = await store.list();
    return listed.some((entry) => entry.keyId === credential.keyId && entry.certificateDer !== null);
  } catch {
    return null; // the store does not answer now (TPM busy): unknown, not "gone"
  } finally {
    pin.fill(0);
  }
}

// ---- the pieces ------------------------------------------------------------------------------

function thisPc(
  host: PcHost,
  state: PcState,
  issuer: HttpsIssuerClient,
  tokenPin: Buffer,
  run: PcRun,
  model: string | undefined,
): ThisPc {
  const pc: ThisPc = {
    store: host.windows === null ? storeFor(state.store, tokenPin) : windowsStore(host.windows, state.store),
    issuer,
    device: {
      id: state.deviceId,
      platform: host.windows === null ? 'Linux' : 'Windows',
      ...(model === undefined ? {} : { model }),
    },
    label: state.label,
    signIn: () => host.signIn(issuer, run.reader),
  };
  return run.onStep === undefined ? pc : reportingSteps(pc, run.onStep);
}

/** The token's calls run in a child process killed after the deadline (store-process.ts): a TPM that stops
 * answering ends in "The TPM did not answer", not a frozen `dck pc` or app. */
function storeFor(protection: KeyProtection, tokenPin: Buffer): Pkcs11StoreProcess {
  return new Pkcs11StoreProcess({
    modulePath: MODULES[protection],
    tokenLabel: TOKEN_LABEL,
    protection,
    tokenPin: () => Buffer.from(tokenPin),
    deadlineMs: storeDeadlineMs(),
  });
}

/** `DCK_PC_TPM_DEADLINE_SECONDS` (1–600), else the store's default; a bad value is a setting to fix. */
export function storeDeadlineMs(value = process.env.DCK_PC_TPM_DEADLINE_SECONDS): number {
  if (value === undefined || value === '') return DEFAULT_STORE_DEADLINE_MS;
  const seconds = Number(value);
  if (!/^[0-9]{1,3}$/.test(value) || seconds < 1 || seconds > 600)
    throw new PcSetupError('DCK_PC_TPM_DEADLINE_SECONDS must be a whole number of seconds from 1 to 600');
  return seconds * 1000;
}

/**
 * The token's PIN (made and the token initialised on first use); no TPM or a foreign token ends here. The set-up's
 * PINs are kept (0600, `token-setup`: pc-state.ts) from before the token is touched until it has its user PIN, so a
 * set-up cut anywhere, even between C_InitToken and C_InitPIN, is finished by the next run; the SO PIN is dropped
 * then: nobody needs to administer this token.
 */
async function prepareToken(
  dir: string,
  protection: KeyProtection,
  tell: (line: string) => void,
): Promise<{ ok: true; pin: Buffer } | { ok: false; error: PcError }> {
  prepareModuleEnvironment(dir, protection);
  const known = await readTokenPin(dir);
  if (known !== null) {
    await removeTokenSetup(dir); // a set-up that ended just before its file went
    return { ok: true, pin: known };
  }
  const unfinished = await readTokenSetup(dir);
  const { soPin, userPin } = unfinished ?? (await beginTokenSetup(dir));
  try {
    // Under the store's deadline: tpm2-pkcs11 asks the TPM from C_Initialize on. It wipes soPin.
    const outcome = await storeFor(protection, userPin).initializeToken(soPin, unfinished !== null);
    if (outcome === 'already-initialised') {
      await removeTokenSetup(dir);
      return { ok: false, error: foreignToken() };
    }
    await finishTokenSetup(dir, userPin);
    if (outcome === 'resumed')
      tell("Finished setting up this PC's key store, which an earlier attempt left half done.");
    return { ok: true, pin: Buffer.from(userPin) };
  } catch (error) {
    if (!(error instanceof DeviceKeyError)) throw error;
    // The set-up's file stays (the next run finishes the set-up with its PINs) unless its SO PIN was refused.
    if (error.code === 'store-pin-incorrect') {
      await removeTokenSetup(dir);
      return { ok: false, error: halfMadeToken() };
    }
    if (error.code === 'no-platform-store')
      return {
        ok: false,
        error: {
          code: 'no-platform-store',
          message:
            `No TPM answers on this PC (${error.detail}). ${protection === 'tpm' ? 'An organisation that allows software keys: --store software.' : ''}`.trim(),
        },
      };
    return { ok: false, error: storeFailure(error) };
  } finally {
    soPin.fill(0);
    userPin.fill(0);
  }
}

/** A token with this app's label and a user PIN, but no PIN file here: another program's, or its PIN file lost. */
const foreignToken = (): PcError => ({
  code: 'store-pin-incorrect',
  message: `This PC's key store already has a "${TOKEN_LABEL}" token whose PIN this app does not hold.`,
});

/**
 * The token an unfinished set-up should have made refuses that set-up's SO PIN: another program made it (or an older
 * version of this app, which did not keep a cut-off set-up's PINs). This app cannot finish or reset it; its owner can
 * delete it.
 */
const halfMadeToken = (): PcError => ({
  code: 'store-pin-incorrect',
  message:
    `This PC's key store has a "${TOKEN_LABEL}" token whose PINs this app does not hold, so its set-up cannot be finished. ` +
    `If no other program uses it, delete it (tpm2_ptool rmtoken --label "${TOKEN_LABEL}", or softhsm2-util --delete-token --token "${TOKEN_LABEL}") and enroll again.`,
});

/** Windows has no token PIN (CNG keeps the key to the user's account): an empty one keeps the flow's shape. */
const noTokenPin = (): { ok: true; pin: Buffer } => ({ ok: true, pin: Buffer.alloc(0) });

/** Where the modules keep their tokens when the environment does not say: under the user's own directories. */
function prepareModuleEnvironment(dir: string, protection: KeyProtection): void {
  if (protection === 'tpm' && process.env.TPM2_PKCS11_STORE === undefined) {
    mkdirSync(join(homedir(), '.tpm2_pkcs11'), { recursive: true, mode: 0o700 });
  }
  if (protection === 'software' && process.env.SOFTHSM2_CONF === undefined) {
    const tokens = join(dir, 'softhsm-tokens');
    mkdirSync(tokens, { recursive: true, mode: 0o700 });
    const conf = join(dir, 'softhsm2.conf');
    if (!existsSync(conf))
      writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\n`, { mode: 0o600 });
    process.env.SOFTHSM2_CONF = conf;
  }
}

async function enrolledState(dir: string, host: PcHost): Promise<{ state: PcState; pin: Buffer }> {
  const loaded = await loadPcState(dir);
  if (!loaded.ok) throw new PcSetupError(loaded.message);
  if (host.windows !== null) return { state: loaded.state, pin: noTokenPin().pin };
  prepareModuleEnvironment(dir, loaded.state.store);
  const pin = await readTokenPin(dir);
  if (pin === null) throw new PcSetupError(`the token PIN file in ${dir} is missing`);
  return { state: loaded.state, pin };
}

/** The keys the state file names (its credential's and those retiring): never swept, whatever the store lists. */
const keyIdsOf = (state: PcState): string[] =>
  [...(state.credential === null ? [] : [state.credential]), ...state.retiring].map((credential) => credential.keyId);

async function retryRetiring(pc: ThisPc, retiring: readonly PcCredential[]): Promise<PcCredential[]> {
  const left: PcCredential[] = [];
  for (const old of retiring) if (!(await removeThisPc(pc, old)).ok) left.push(old);
  return left;
}

/** NSS registration and the renewal reminder: the credential is installed either way; a failure is reported. */
async function afterInstall(
  state: PcState,
  dir: string,
  nssOption: string | undefined,
  systemdOption: string | undefined,
): Promise<string[]> {
  const lines: string[] = [];
  const nss = nssDirectory(nssOption);
  if (nss !== null) {
    await registerModuleInNss({ directory: nss, deadlineMs: storeDeadlineMs() }, MODULES[state.store]).then(
      () => lines.push(`Browsers using ${nss} offer it (module registered).`),
      (error: unknown) =>
        lines.push(`Browsers were not told about it (${error instanceof Error ? error.message : 'NSS failed'}).`),
    );
  }
  const unitDir = systemdOption ?? defaultSystemdUserDir();
  await writeRenewalUnits(unitDir, [process.execPath, DCK_ENTRY, 'pc', 'status', '--notify', '--state', dir]);
  if (systemdOption === undefined) {
    // Only the user's real unit directory is enabled; a directory given on the command line is the caller's.
    await run$('systemctl', ['--user', 'enable', '--now', `${RENEWAL_UNIT}.timer`], { timeout: 10_000 }).then(
      () => lines.push('A daily renewal reminder is on (systemd user timer).'),
      () =>
        lines.push(
          `Renewal reminder written to ${unitDir}; turn it on with: systemctl --user enable --now ${RENEWAL_UNIT}.timer`,
        ),
    );
  } else lines.push(`Renewal reminder written to ${unitDir}.`);
  return lines;
}

function nssDirectory(option: string | undefined): string | null {
  if (option === 'none') return null;
  return option ?? join(homedir(), '.pki', 'nssdb');
}

export async function readCa(file: string): Promise<string> {
  const content = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new PcSetupError(`cannot read the CA file ${file} (${error.code ?? 'error'})`);
  });
  if (content.length > MAX_CA_FILE_BYTES || !content.toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
    throw new PcSetupError(`${file} is not a PEM CA certificate file`);
  return content.toString('latin1');
}

/** The tenant's name as the key store may carry it (native/device-keys/store-text.ts), else a neutral one. */
function storeLabel(displayName: string): string {
  const kept = displayName
    .replace(/[^\p{L}\p{M}\p{N} .,'()&@_+-]/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 64)
    .trim();
  return kept === '' ? 'Derived Credential' : kept;
}

/** The host name as a model the issuer accepts (printable ASCII), or none. */
export function hostModel(): string | undefined {
  const name = hostname();
  return /^[\x20-\x7e]{1,128}$/.test(name) ? name : undefined;
}

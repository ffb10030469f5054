// `dck pc …`: "Set up this PC" (issue 14) from the command line: the card + PIN sign in as at the kiosk, the key is
// made in this PC's TPM (tpm2-pkcs11) or, where the tenant allows it, a software token (SoftHSM2), and the derived
// certificate is installed beside it and offered to browsers through the user's NSS database. The flow itself is
// main/this-pc/ (the desktop app's "Set up this PC" uses the same functions); this file reads options, secrets and
// state, and prints. The card PIN comes from standard input or a hidden prompt; the token PIN from its 0600 file.
//
// Exit codes: 0 done, 1 refused or failed (nothing half-done stays), 2 wrong command line.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KeyProtection } from '../../contracts/issuer-api.ts';
import { createPcscCardPort } from '../../main/card/pcsc-card-port.ts';
import { HttpsIssuerClient } from '../../main/issuer-client/https-issuer-client.ts';
import { signInWithCard } from '../../main/this-pc/card-sign-in.ts';
import type { PcError } from '../../main/this-pc/pc-errors.ts';
import {
  createTokenPin,
  defaultPcStateDir,
  loadPcState,
  newDeviceId,
  readTokenPin,
  removeCredentialState,
  removePcState,
  savePcState,
} from '../../main/this-pc/pc-state.ts';
import type { PcState } from '../../main/this-pc/pc-state.ts';
import {
  defaultSystemdUserDir,
  removeRenewalUnits,
  writeRenewalUnits,
  RENEWAL_UNIT,
} from '../../main/this-pc/renewal-timer.ts';
import { enrollThisPc, removeThisPc, renewThisPc } from '../../main/this-pc/this-pc.ts';
import type { PcCredential, ThisPc } from '../../main/this-pc/this-pc.ts';
import {
  DeviceKeyError,
  initializeDeviceToken,
  Pkcs11DeviceKeyStore,
  registerModuleInNss,
  SOFTHSM2_MODULE,
  TPM2_PKCS11_MODULE,
  unregisterModuleFromNss,
} from '../../native/device-keys/index.ts';
import { createSmartCardService } from '../../native/pcsc/index.ts';
import {
  chooseWindowsProtection,
  nodeWindowsPcHost,
  registerWindowsReminder,
  removeWindowsReminder,
  windowsStore,
} from './pc-windows.ts';
import type { WindowsPcHost } from './pc-windows.ts';
import { parseArgs, printable, UsageError } from '../args.ts';
import { readSecret } from '../read-secret.ts';
import { terminalSafe, terminalSafeJson } from '../terminal-text.ts';

export const summary = "this PC: set up, check, renew or remove a derived credential kept in the PC's TPM";

const USAGE = `usage:
  dck pc enroll --issuer URL --ca FILE [--store tpm|software] [--reader NAME] [--model TEXT]
                [--nss-db DIR|none] [--systemd-dir DIR] [--state DIR] [--json]
  dck pc status [--notify] [--state DIR] [--json]
  dck pc renew [--reader NAME] [--state DIR] [--json]
  dck pc remove [--nss-db DIR|none] [--systemd-dir DIR] [--state DIR] [--json]
  dck pc --browser [--issuer URL --ca FILE] [--store tpm|software] [--no-open] [--port PORT] [--state DIR] …

enroll  card + PIN (standard input or a hidden prompt) sign in at the issuer; a key is made in this PC's TPM
        (--store software: a SoftHSM2 token, for PCs without a TPM, if the organisation allows it), the issuer
        signs its certificate, which is installed beside the key; the token is registered in the NSS database
        browsers read (--nss-db, default ~/.pki/nssdb) and a daily renewal reminder is written (systemd user timer,
        --systemd-dir, default $XDG_CONFIG_HOME/systemd/user). Ends with "This PC is set up" and the expiry.
status  what is installed, its expiry, and whether renewal is due (the organisation's threshold); then the issuer's
        word on it (good, suspended, revoked), or a line saying the issuer could not be asked. Exit 1 when the
        certificate is gone from the key store or the issuer says it does not work.
        --notify (the reminder's): tells the desktop when renewal is due, and exits 0.
renew   card + PIN again: a new key and certificate; the old one is revoked (superseded) once the new one is in.
remove  asks the issuer to revoke (signed by this PC's own key: no card needed), then deletes key and certificate.
--browser  the same in the app's "Set up this PC" screens, in Chromium (\`dck pc --browser --help\`).
--state DIR  default $DCK_PC_STATE_DIR or $XDG_CONFIG_HOME/dck/pc. --ca FILE: the CA of the issuer's TLS certificate.
Windows: the key is made by certreq in the TPM (Microsoft Platform Crypto Provider; without --store on a PC with no
        TPM, in Windows' software provider), the certificate goes to CurrentUser\\My, the reminder is a Task Scheduler
        task; --nss-db and --systemd-dir do not apply; --state defaults to %APPDATA%\\dck\\pc.
Exit codes: 0 success, 1 refused or failed (nothing half-done is left), 2 wrong command line.`;

const TOKEN_LABEL = 'dck this pc';
const MODULES: Record<KeyProtection, string> = { tpm: TPM2_PKCS11_MODULE, software: SOFTHSM2_MODULE };
const MAX_CA_FILE_BYTES = 64 * 1024;
const DCK_ENTRY = fileURLToPath(new URL('../../bin/dck.js', import.meta.url));
const run$ = promisify(execFile);

const COMMON = { '--state': 'value', '--json': 'flag' } as const;
const OPTIONS = {
  enroll: {
    ...COMMON,
    '--issuer': 'value',
    '--ca': 'value',
    '--store': 'value',
    '--reader': 'value',
    '--model': 'value',
    '--nss-db': 'value',
    '--systemd-dir': 'value',
  },
  status: { ...COMMON, '--notify': 'flag' },
  renew: { ...COMMON, '--reader': 'value' },
  remove: { ...COMMON, '--nss-db': 'value', '--systemd-dir': 'value' },
} as const;
type Subcommand = keyof typeof OPTIONS;
const isSubcommand = (name: string): name is Subcommand => Object.hasOwn(OPTIONS, name);

/** The machine `dck pc` works on: Linux (PKCS#11, NSS, systemd) or, with `windows`, Windows (certreq, Task Scheduler). */
export interface PcHost {
  readonly windows: WindowsPcHost | null;
  /** Card + PIN → PKI-AUTH (the reader's card, the PIN from standard input or a prompt). */
  readonly signIn: (issuer: HttpsIssuerClient, reader: string | undefined) => ReturnType<ThisPc['signIn']>;
}

const nodePcHost = (): PcHost => ({
  windows: process.platform === 'win32' ? nodeWindowsPcHost(DCK_ENTRY) : null,
  signIn: cardSignIn,
});

export async function run(args: string[], host: PcHost = nodePcHost()): Promise<number> {
  const [subcommand, ...rest] = args;
  // The desktop app's "Set up this PC" screens in Chromium (cli/pc-app.ts, which reuses the pieces below).
  if (subcommand === '--browser') return (await import('../pc-app.ts')).runPcApp(rest);
  if (subcommand === undefined || ['--help', '-h', 'help'].includes(subcommand) || rest.includes('--help')) {
    console.log(USAGE);
    return subcommand === undefined ? 2 : 0;
  }
  try {
    if (!isSubcommand(subcommand)) throw new UsageError(`unknown subcommand "${printable(subcommand)}"`);
    switch (subcommand) {
      case 'enroll':
        return await enroll(parseArgs(rest, OPTIONS.enroll, 'dck pc enroll'), host);
      case 'status':
        return await status(parseArgs(rest, OPTIONS.status, 'dck pc status'), host);
      case 'renew':
        return await renew(parseArgs(rest, OPTIONS.renew, 'dck pc renew'), host);
      case 'remove':
        return await remove(parseArgs(rest, OPTIONS.remove, 'dck pc remove'), host);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(terminalSafe(`dck pc: ${error.message}\n\n${USAGE}`, { multiline: true }));
      return 2;
    }
    if (error instanceof DeviceKeyError) return fail(false, { code: 'store-failed', message: error.message });
    throw error;
  }
}

// ---- enroll, renew, remove, status ----------------------------------------------------------

type Values<S extends Subcommand> = ReturnType<typeof parseArgs<(typeof OPTIONS)[S]>>;

async function enroll(values: Values<'enroll'>, host: PcHost): Promise<number> {
  const json = values['--json'] === true;
  const dir = values['--state'] ?? defaultPcStateDir();
  const issuerUrl = values['--issuer'];
  const caOption = values['--ca'];
  if (issuerUrl === undefined || caOption === undefined)
    throw new UsageError('--issuer URL and --ca FILE are required');
  const requested = values['--store'];
  if (requested !== undefined && requested !== 'tpm' && requested !== 'software')
    throw new UsageError('--store is tpm or software');
  const previous = await loadPcState(dir);
  if (previous.ok && previous.state.credential !== null)
    return fail(json, {
      code: 'store-failed',
      message: 'This PC is already set up: use `dck pc renew` or `dck pc remove`.',
    });
  if (!previous.ok && !previous.missing) throw new UsageError(previous.message);
  // Windows without a TPM falls back to its software provider unless --store says which (the issuer has the last word).
  const chosen = host.windows === null ? null : await chooseWindowsProtection(host.windows, requested);
  if (chosen?.ok === false) return fail(json, chosen.error);
  const protection = chosen?.value.protection ?? requested ?? 'tpm';
  const caFile = resolve(caOption);
  const issuer = new HttpsIssuerClient({ baseUrl: issuerUrl, trustedCaPem: await readCa(caFile) });
  try {
    const metadata = await issuer.metadata();
    const label = storeLabel(metadata.ok ? metadata.value.displayName : '');
    const state: PcState = {
      version: 1,
      issuerUrl,
      caFile,
      deviceId: previous.ok ? previous.state.deviceId : newDeviceId(),
      store: protection,
      label,
      credential: null,
      retiring: [],
    };
    const tokenPin = host.windows === null ? await prepareToken(dir, protection) : noTokenPin();
    if (!tokenPin.ok) return fail(json, tokenPin.error);
    try {
      const pc = thisPc(host, state, issuer, tokenPin.pin, values['--reader'], values['--model'] ?? hostModel());
      const enrolled = await enrollThisPc(pc);
      if (!enrolled.ok) return fail(json, enrolled.error);
      await savePcState(dir, { ...state, credential: enrolled.value });
      const extras =
        host.windows === null
          ? await afterInstall(state, dir, values['--nss-db'], values['--systemd-dir'])
          : [await registerWindowsReminder(host.windows, dir)];
      return report(json, enrolled.value, [
        ...(chosen?.value.note == null ? [] : [chosen.value.note]),
        `This PC is set up. Its credential expires ${day(enrolled.value.notAfter)}.`,
        ...extras,
      ]);
    } finally {
      tokenPin.pin.fill(0);
    }
  } finally {
    issuer.close();
  }
}

async function renew(values: Values<'renew'>, host: PcHost): Promise<number> {
  const json = values['--json'] === true;
  const dir = values['--state'] ?? defaultPcStateDir();
  const { state, pin } = await enrolledState(dir, host);
  const issuer = new HttpsIssuerClient({ baseUrl: state.issuerUrl, trustedCaPem: await readCa(state.caFile) });
  try {
    const credential = state.credential;
    if (credential === null) return fail(json, { code: 'not-enrolled', message: 'This PC is not set up.' });
    const pc = thisPc(host, state, issuer, pin, values['--reader'], hostModel());
    const renewed = await renewThisPc(pc, credential);
    if (!renewed.ok) return fail(json, renewed.error);
    const retiring = await retryRetiring(pc, state.retiring);
    if (renewed.value.oldCredentialLeft !== null) retiring.push(credential);
    await savePcState(dir, { ...state, credential: renewed.value.credential, retiring });
    const left = renewed.value.oldCredentialLeft;
    return report(json, renewed.value.credential, [
      `This PC's credential is renewed. It expires ${day(renewed.value.credential.notAfter)}.`,
      ...(left === null
        ? []
        : [`The old credential is not revoked yet (${left.message}); the next renew or remove retries.`]),
    ]);
  } finally {
    pin.fill(0);
    issuer.close();
  }
}

async function remove(values: Values<'remove'>, host: PcHost): Promise<number> {
  const json = values['--json'] === true;
  const dir = values['--state'] ?? defaultPcStateDir();
  const { state, pin } = await enrolledState(dir, host);
  const issuer = new HttpsIssuerClient({ baseUrl: state.issuerUrl, trustedCaPem: await readCa(state.caFile) });
  try {
    const pc = thisPc(host, state, issuer, pin, undefined, undefined);
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
      // What the issuer did not confirm stays, key and all, so a later `dck pc remove` can still sign its revocation.
      const [current, ...rest] = left;
      await savePcState(dir, { ...state, credential: current ?? null, retiring: rest });
      return fail(json, {
        code: firstError.code,
        message: `${firstError.message} This PC's credential was not removed.`,
      });
    }
    await removeCredentialState(dir);
    if (host.windows !== null) await removeWindowsReminder(host.windows).catch(() => undefined);
    else {
      await removeRenewalUnits(values['--systemd-dir'] ?? defaultSystemdUserDir());
      const nss = nssDirectory(values['--nss-db']);
      if (nss !== null) await unregisterModuleFromNss({ directory: nss }).catch(() => undefined);
    }
    if (json) console.log(terminalSafeJson({ removed: true }));
    else console.log('This PC no longer holds a derived credential: it was revoked and its key deleted.');
    return 0;
  } finally {
    pin.fill(0);
    issuer.close();
  }
}

async function status(values: Values<'status'>, host: PcHost): Promise<number> {
  const json = values['--json'] === true;
  const dir = values['--state'] ?? defaultPcStateDir();
  const loaded = await loadPcState(dir);
  const credential = loaded.ok ? loaded.state.credential : null;
  if (!loaded.ok || credential === null) {
    if (json) console.log(terminalSafeJson({ installed: false }));
    else console.log(loaded.ok ? 'This PC is not set up.' : loaded.message);
    return values['--notify'] === true ? 0 : 1;
  }
  const installed = await installedOnStore(host, dir, loaded.state, credential);
  const now = Date.now();
  const expired = now >= Date.parse(credential.notAfter);
  const renewalDue = now >= Date.parse(credential.renewalDueAt);
  const facts = {
    installed,
    serialNumberHex: credential.serialNumberHex,
    notAfter: credential.notAfter,
    renewalDueAt: credential.renewalDueAt,
    renewalDue,
    expired,
  };
  const line = expired
    ? `This PC's credential expired ${day(credential.notAfter)}: run \`dck pc renew\` with your card.`
    : renewalDue
      ? `This PC's credential expires ${day(credential.notAfter)}: renew it now with \`dck pc renew\` and your card.`
      : `This PC is set up. Its credential expires ${day(credential.notAfter)}; renewal is due ${day(credential.renewalDueAt)}.`;
  const online = await issuerAnswer(loaded.state, credential);
  if (json) console.log(terminalSafeJson({ ...facts, issuer: online }));
  else {
    console.log(
      installed === false
        ? `${line} But its certificate is no longer in the key store: run \`dck pc remove\`, then enroll again.`
        : line,
    );
    console.log(terminalSafe(issuerLine(online)));
  }
  const unusable = online.state !== 'unreachable' && online.state !== 'active';
  if (values['--notify'] === true) {
    if (expired || renewalDue) await notifyDesktop(line);
    else if (unusable) await notifyDesktop(issuerLine(online));
    return 0;
  }
  return installed === false || unusable ? 1 : 0;
}

// ---- status online: the issuer's word on the credential ---------------------------------------

/** What the issuer says of the credential (GET /credentials/:serial/status), or why it could not be asked. */
export type IssuerAnswer =
  | { readonly state: 'active' | 'suspended' | 'revoked' | 'expired' | 'unknown' }
  | { readonly state: 'unreachable'; readonly detail: string };

export async function issuerAnswer(state: PcState, credential: PcCredential): Promise<IssuerAnswer> {
  let issuer: HttpsIssuerClient;
  try {
    issuer = new HttpsIssuerClient({ baseUrl: state.issuerUrl, trustedCaPem: await readCa(state.caFile) });
  } catch (error) {
    return { state: 'unreachable', detail: error instanceof Error ? error.message : 'no issuer client' };
  }
  try {
    const answer = await issuer.route('credentialStatus', { params: { serialNumberHex: credential.serialNumberHex } });
    if (answer.ok) return { state: answer.value.state };
    if (answer.error.code === 'not-found') return { state: 'unknown' };
    return {
      state: 'unreachable',
      detail: answer.error.code === 'unreachable' ? answer.error.detail : answer.error.code,
    };
  } finally {
    issuer.close();
  }
}

export function issuerLine(answer: IssuerAnswer): string {
  switch (answer.state) {
    case 'active':
      return 'The issuer says it is good (active).';
    case 'suspended':
      return 'The issuer has suspended it: it does not work until the help desk resumes it.';
    case 'revoked':
      return 'The issuer has revoked it: it no longer works. Run `dck pc remove`, then `dck pc enroll` with your card.';
    case 'expired':
      return 'The issuer says it has expired: run `dck pc renew` with your card.';
    case 'unknown':
      return 'The issuer does not know this credential: run `dck pc remove`, then enroll again.';
    case 'unreachable':
      return `The issuer could not be asked (${answer.detail}): the above is this PC's own record.`;
  }
}

// ---- the pieces ------------------------------------------------------------------------------

export function thisPc(
  host: PcHost,
  state: PcState,
  issuer: HttpsIssuerClient,
  tokenPin: Buffer,
  reader: string | undefined,
  model: string | undefined,
): ThisPc {
  return {
    store: host.windows === null ? storeFor(state.store, tokenPin) : windowsStore(host.windows, state.store),
    issuer,
    device: {
      id: state.deviceId,
      platform: host.windows === null ? 'Linux' : 'Windows',
      ...(model === undefined ? {} : { model }),
    },
    label: state.label,
    signIn: () => host.signIn(issuer, reader),
  };
}

function storeFor(protection: KeyProtection, tokenPin: Buffer): Pkcs11DeviceKeyStore {
  return new Pkcs11DeviceKeyStore({
    modulePath: MODULES[protection],
    tokenLabel: TOKEN_LABEL,
    protection,
    tokenPin: () => Buffer.from(tokenPin),
  });
}

/** The card the kiosk's card port opens, its PIN read here and wiped, then released (and reset) at once. */
async function cardSignIn(issuer: HttpsIssuerClient, wanted: string | undefined): ReturnType<ThisPc['signIn']> {
  const service = createSmartCardService();
  const readers = (await service.listReaders()).filter(
    (reader) => reader.cardPresent && (wanted === undefined || reader.name === wanted),
  );
  const [reader, another] = readers;
  if (reader === undefined)
    return { ok: false, error: { code: 'card-removed', message: 'Insert your card in the reader and start again.' } };
  if (another !== undefined) throw new UsageError('several readers hold a card: choose one with --reader NAME');
  const card = await createPcscCardPort(service).open(reader.name);
  if (card === null)
    return { ok: false, error: { code: 'card-removed', message: 'The card cannot be reached: insert it again.' } };
  const pin = await readSecret('Card PIN: ');
  try {
    return await signInWithCard(card, issuer, pin);
  } finally {
    pin.fill(0);
    await card.close();
  }
}

/** The token's PIN (made and the token initialised on first use); no TPM or a foreign token ends here. */
export async function prepareToken(
  dir: string,
  protection: KeyProtection,
): Promise<{ ok: true; pin: Buffer } | { ok: false; error: PcError }> {
  prepareModuleEnvironment(dir, protection);
  const known = await readTokenPin(dir);
  if (known !== null) return { ok: true, pin: known };
  const pin = await createTokenPin(dir);
  try {
    // The SO PIN is not kept: nobody needs to administer this token; a new enrollment can start a new one.
    const outcome = initializeDeviceToken(
      MODULES[protection],
      TOKEN_LABEL,
      Buffer.from(randomBytes(16).toString('hex')),
      Buffer.from(pin),
    );
    if (outcome === 'initialised') return { ok: true, pin };
    pin.fill(0);
    await removePcState(dir);
    return {
      ok: false,
      error: {
        code: 'store-pin-incorrect',
        message: `This PC's key store already has a "${TOKEN_LABEL}" token whose PIN this app does not hold.`,
      },
    };
  } catch (error) {
    pin.fill(0);
    await removePcState(dir);
    if (error instanceof DeviceKeyError && error.code === 'no-platform-store')
      return {
        ok: false,
        error: {
          code: 'no-platform-store',
          message:
            `No TPM answers on this PC (${error.detail}). ${protection === 'tpm' ? 'An organisation that allows software keys: --store software.' : ''}`.trim(),
        },
      };
    throw error;
  }
}

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

export async function enrolledState(dir: string, host: PcHost): Promise<{ state: PcState; pin: Buffer }> {
  const loaded = await loadPcState(dir);
  if (!loaded.ok) throw new UsageError(loaded.message);
  if (host.windows !== null) return { state: loaded.state, pin: noTokenPin().pin };
  prepareModuleEnvironment(dir, loaded.state.store);
  const pin = await readTokenPin(dir);
  if (pin === null) throw new UsageError(`the token PIN file in ${dir} is missing`);
  return { state: loaded.state, pin };
}

export async function retryRetiring(pc: ThisPc, retiring: readonly PcCredential[]): Promise<PcCredential[]> {
  const left: PcCredential[] = [];
  for (const old of retiring) if (!(await removeThisPc(pc, old)).ok) left.push(old);
  return left;
}

/** NSS registration and the renewal reminder: the credential is installed either way; a failure is reported. */
export async function afterInstall(
  state: PcState,
  dir: string,
  nssOption: string | undefined,
  systemdOption: string | undefined,
): Promise<string[]> {
  const lines: string[] = [];
  const nss = nssDirectory(nssOption);
  if (nss !== null) {
    await registerModuleInNss({ directory: nss }, MODULES[state.store]).then(
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

export function nssDirectory(option: string | undefined): string | null {
  if (option === 'none') return null;
  return option ?? join(homedir(), '.pki', 'nssdb');
}

async function notifyDesktop(line: string): Promise<void> {
  console.error(terminalSafe(line));
  await run$('notify-send', ['--app-name=dck', 'Derived credential', line], { timeout: 10_000 }).catch(() => undefined);
}

export async function readCa(file: string): Promise<string> {
  const content = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read the CA file ${file} (${error.code ?? 'error'})`);
  });
  if (content.length > MAX_CA_FILE_BYTES || !content.toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
    throw new UsageError(`${file} is not a PEM CA certificate file`);
  return content.toString('latin1');
}

/** The tenant's name as the key store may carry it (native/device-keys/store-text.ts), else a neutral one. */
export function storeLabel(displayName: string): string {
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

const day = (iso: string): string => iso.slice(0, 10);

function report(json: boolean, credential: PcCredential, lines: string[]): number {
  if (json) console.log(terminalSafeJson({ ...credential, messages: lines }));
  else console.log(lines.map((line) => terminalSafe(line)).join('\n'));
  return 0;
}

function fail(json: boolean, error: PcError): number {
  if (json) console.log(terminalSafeJson({ error: error.code, message: error.message }));
  else console.error(terminalSafe(`dck pc: ${error.message}`));
  return 1;
}

// `dck pc …`: "Set up this PC" (issue 14) from the command line: the card + PIN sign in as at the kiosk, the key is
// made in this PC's TPM (tpm2-pkcs11) or, where the tenant allows it, a software token (SoftHSM2), and the derived
// certificate is installed beside it and offered to browsers through the user's NSS database. The flow itself is
// main/this-pc/ (the desktop app's "Set up this PC" uses the same functions); this file reads options, secrets and
// state, and prints. The card PIN comes from standard input or a hidden prompt; the token PIN from its 0600 file.
//
// Exit codes: 0 done, 1 refused or failed (nothing half-done stays), 2 wrong command line, 3 another enrollment on
// this PC is under way (main/this-pc/pc-lock.ts: nothing was touched).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createPcscCardPort } from '../../main/card/pcsc-card-port.ts';
import { connectedReader, ReaderChoiceError } from '../../main/card/reader-binding.ts';
import { HttpsIssuerClient } from '../../main/issuer-client/https-issuer-client.ts';
import { signInWithCard } from '../../main/this-pc/card-sign-in.ts';
import type { PcError } from '../../main/this-pc/pc-errors.ts';
import {
  enrollHere,
  hostModel,
  installedOnStore,
  PcSetupError,
  platformWindowsHost,
  readCa,
  removeHere,
  renewHere,
} from '../../main/this-pc/pc-setup.ts';
import type { PcHost } from '../../main/this-pc/pc-setup.ts';
import { defaultPcStateDir, loadPcState } from '../../main/this-pc/pc-state.ts';
import type { PcState } from '../../main/this-pc/pc-state.ts';
import { sweptKeysNote } from '../../main/this-pc/this-pc.ts';
import type { PcCredential, ThisPc } from '../../main/this-pc/this-pc.ts';
import { DeviceKeyError } from '../../native/device-keys/index.ts';
import { createSmartCardService } from '../../native/pcsc/index.ts';
import { parseArgs, printable, readerOption, UsageError } from '../args.ts';
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
One run at a time per PC state: enroll, renew and remove hold a lock file beside the state (DIR/lock); a second run
        says "Another enrollment on this PC is under way (pid N, started …)". A lock whose run is gone is taken over.
Exit codes: 0 success, 1 refused or failed (nothing half-done is left), 2 wrong command line, 3 another enrollment
        on this PC is under way (nothing was touched).`;

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

/** The machine `dck pc` works on (main/this-pc/pc-setup.ts); its sign-in reads the card and a typed PIN here. */
export type { PcHost };

const nodePcHost = (): PcHost => ({
  windows: platformWindowsHost(),
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
    if (error instanceof UsageError || error instanceof PcSetupError) {
      console.error(terminalSafe(`dck pc: ${error.message}\n\n${USAGE}`, { multiline: true }));
      return 2;
    }
    if (error instanceof ReaderChoiceError) {
      // Checked before anything was touched: nothing to undo.
      if (rest.includes('--json')) console.log(terminalSafeJson({ error: error.code, message: error.message }));
      else console.error(terminalSafe(`dck pc: ${error.message}`));
      return 1;
    }
    if (error instanceof DeviceKeyError) return fail(false, { code: 'store-failed', message: error.message });
    throw error;
  }
}

// ---- enroll, renew, remove, status ----------------------------------------------------------

type Values<S extends Subcommand> = ReturnType<typeof parseArgs<(typeof OPTIONS)[S]>>;

async function enroll(values: Values<'enroll'>, host: PcHost): Promise<number> {
  const json = values['--json'] === true;
  const issuerUrl = values['--issuer'];
  const caFile = values['--ca'];
  if (issuerUrl === undefined || caFile === undefined) throw new UsageError('--issuer URL and --ca FILE are required');
  const protection = values['--store'];
  if (protection !== undefined && protection !== 'tpm' && protection !== 'software')
    throw new UsageError('--store is tpm or software');
  const reader = await readerOf(values['--reader']);
  const enrolled = await enrollHere(host, {
    dir: values['--state'] ?? defaultPcStateDir(),
    issuerUrl,
    caFile,
    protection,
    reader,
    model: values['--model'] ?? hostModel(),
    nssDb: values['--nss-db'],
    systemdDir: values['--systemd-dir'],
    onNote: tell,
  });
  if (!enrolled.ok) return fail(json, enrolled.error);
  const { credential, protectionNote, extras } = enrolled.value;
  return report(json, credential, [
    ...(protectionNote === null ? [] : [protectionNote]),
    `This PC is set up. Its credential expires ${day(credential.notAfter)}.`,
    ...extras,
  ]);
}

async function renew(values: Values<'renew'>, host: PcHost): Promise<number> {
  const json = values['--json'] === true;
  const reader = await readerOf(values['--reader']);
  const renewed = await renewHere(host, values['--state'] ?? defaultPcStateDir(), { reader, onNote: tell });
  if (!renewed.ok) return fail(json, renewed.error);
  const left = renewed.value.oldCredentialLeft;
  return report(json, renewed.value.credential, [
    `This PC's credential is renewed. It expires ${day(renewed.value.credential.notAfter)}.`,
    ...(left === null
      ? []
      : [`The old credential is not revoked yet (${left.message}); the next renew or remove retries.`]),
    ...sweptKeysNote(renewed.value.unfinishedKeysRemoved),
  ]);
}

async function remove(values: Values<'remove'>, host: PcHost): Promise<number> {
  const json = values['--json'] === true;
  const removed = await removeHere(host, values['--state'] ?? defaultPcStateDir(), {
    nssDb: values['--nss-db'],
    systemdDir: values['--systemd-dir'],
    onNote: tell,
  });
  if (!removed.ok)
    return fail(json, {
      code: removed.error.code,
      message: `${removed.error.message} This PC's credential was not removed.`,
    });
  if (json) console.log(terminalSafeJson({ removed: true }));
  else console.log('This PC no longer holds a derived credential: it was revoked and its key deleted.');
  return 0;
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

/**
 * `--reader NAME`: a name a reader can have (else exit 2), of a reader connected now (else exit 1, naming those that
 * are: main/card/reader-binding.ts, as dck kiosk and dck agent check it), before the key store or issuer is touched.
 */
async function readerOf(value: string | undefined): Promise<string | undefined> {
  const name = readerOption(value);
  return name === undefined ? undefined : connectedReader(createSmartCardService(), name);
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

async function notifyDesktop(line: string): Promise<void> {
  console.error(terminalSafe(line));
  await run$('notify-send', ['--app-name=dck', 'Derived credential', line], { timeout: 10_000 }).catch(() => undefined);
}

const day = (iso: string): string => iso.slice(0, 10);

/** A line worth saying at once (an earlier run's lock taken over), on standard error: stdout stays the answer. */
const tell = (line: string): void => console.error(terminalSafe(`dck pc: ${line}`));

/** Exit code 3: another run holds this PC's lock, so a script can wait and retry; 1 for any other failure. */
const EXIT_ANOTHER_RUN = 3;

function report(json: boolean, credential: PcCredential, lines: string[]): number {
  if (json) console.log(terminalSafeJson({ ...credential, messages: lines }));
  else console.log(lines.map((line) => terminalSafe(line)).join('\n'));
  return 0;
}

function fail(json: boolean, error: PcError): number {
  if (json) console.log(terminalSafeJson({ error: error.code, message: error.message }));
  else console.error(terminalSafe(`dck pc: ${error.message}`));
  return error.code === 'another-run' ? EXIT_ANOTHER_RUN : 1;
}

// What the `dck pc` tests share: the bench they run on (a real issuer on loopback, HTTPS + SQLite; as each test needs,
// the virtual card in a private pcscd reader, tpm2-pkcs11 on a private swtpm, a private SoftHSM2), the command run as
// a person runs it (a child process, the card PIN on standard input, private HOME), its usual arguments, the issuer's
// record of a credential read from its database, and the FAKE Windows host the Windows tests drive.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ok } from '../../../contracts/kiosk-api.ts';
import { ISSUER_DATABASE_FILE, openSqliteStorage } from '../../../issuer/storage/sqlite-storage.ts';
import type { WindowsPcHost } from '../../../main/this-pc/pc-windows.ts';
import { Pkcs11DeviceKeyStore, TPM2_PKCS11_MODULE } from '../../../native/device-keys/index.ts';
import type { DeviceCredential, WindowsCommands } from '../../../native/device-keys/index.ts';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { startVirtualCard } from '../../../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../../../virtual-card/virtual-card.ts';
import { kioskSignIn, startHarness } from '../issuer/issuer-fixture.ts';
import type { IssuerHarness } from '../issuer/issuer-fixture.ts';
import { startSoftwareTpm } from '../native/device-keys/swtpm.ts';
import type { SoftwareTpm } from '../native/device-keys/swtpm.ts';

const run = promisify(execFile);

export interface DckResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/dck.js pc …` with `stdin` (the card PIN, if any). Async: the virtual card lives in the test's process. */
export function runDckPc(args: readonly string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<DckResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/dck.js', 'pc', ...args], { env, cwd: process.cwd() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** The issuer's record of a derived credential (status, revocation reason, key protection). */
export async function storedCredential(h: IssuerHarness, serialNumberHex: string) {
  const storage = openSqliteStorage(join(h.dataDir, ISSUER_DATABASE_FILE), { checkpointIntervalMs: 0 });
  try {
    return await storage.findDerivedCertificate(serialNumberHex);
  } finally {
    await storage.close();
  }
}

export interface PcBenchOptions {
  /** The work directory's prefix in the system's temporary directory (`dck-pc-…-`). */
  readonly name: string;
  /** The virtual card (P-256), inserted in a private pcscd reader: for the commands that sign in with it. */
  readonly card?: boolean;
  /** tpm2-pkcs11 on a private swtpm: `--store tpm`. */
  readonly tpm?: boolean;
  /**
   * SoftHSM2 for `--store software`: 'private', a configuration and token folder in the work directory; 'cli', no
   * SOFTHSM2_CONF (the command makes its own under the state directory). Unset: whatever the test process has.
   */
  readonly softhsm?: 'private' | 'cli';
}

/** A tpm2-pkcs11 token store (TPM2_PKCS11_STORE) of a test's own, on the bench's TPM. */
export interface TpmTokenStore {
  /** The store's directory, in the bench's work directory. */
  readonly directory: string;
  /** For `bench.dck(…, extraEnv)`: the `dck pc` it runs keeps its token in this store. */
  readonly env: NodeJS.ProcessEnv;
  /** The credentials on this store's token, read from the test's own process (tpm2-pkcs11 loaded through pkcs11js). */
  readonly listKeys: (tokenPin: () => Buffer) => Promise<DeviceCredential[]>;
  /** Any work on this store's token from the test's own process (e.g. a key left as a cut-off run leaves it). */
  readonly withKeys: <T>(tokenPin: () => Buffer, work: (keys: Pkcs11DeviceKeyStore) => Promise<T>) => Promise<T>;
}

export interface PcBench {
  readonly h: IssuerHarness;
  /** The work directory, removed by stop(). */
  readonly work: string;
  /** The issuer's TLS certificate, as `--ca` takes it. */
  readonly caFile: string;
  /** Where `dck pc` writes the systemd units (`--systemd-dir`). */
  readonly unitsDir: string;
  /**
   * The environment `dck pc` runs in: the pcscd socket and the TPM as asked; HOME and XDG_CONFIG_HOME private, so
   * nothing reaches the real ~/.pki, ~/.config or ~/.tpm2_pkcs11.
   */
  readonly env: NodeJS.ProcessEnv;
  /** Everything `dck pc` printed through dck(), for the check that no PIN ever shows. */
  readonly printed: readonly string[];
  /** `dck pc …` as a child process in `env` (plus `extraEnv`); its output joins `printed`. */
  readonly dck: (args: readonly string[], stdin?: string, extraEnv?: NodeJS.ProcessEnv) => Promise<DckResult>;
  /** The private swtpm (to pause and resume it), or null on a bench without one. */
  readonly tpm: SoftwareTpm | null;
  /** Flushes the TPM's transient objects as a resource manager would (see swtpm.ts); refused on a bench without one. */
  readonly flushTpm: () => void;
  /**
   * A token store of its own, `<work>/<name>` (made empty), for a test whose token must not be an earlier test's (a
   * token keeps the PIN it was made with); without it `dck pc` uses the TPM's shared store. Refused on a bench
   * without a TPM.
   */
  readonly ownTokenStore: (name: string) => TpmTokenStore;
  /** Stops card, pcscd, issuer and TPM, and removes the work directory. */
  readonly stop: () => Promise<void>;
}

/** `dck pc enroll` into `state` against the bench's issuer; NSS off unless given, `--json` on request. */
export function enrollArgs(
  bench: PcBench,
  state: string,
  options: { readonly store?: 'tpm' | 'software'; readonly nssDb?: string; readonly json?: boolean } = {},
): string[] {
  return [
    'enroll',
    '--issuer',
    bench.h.issuer.url,
    '--ca',
    bench.caFile,
    ...(options.store === undefined ? [] : ['--store', options.store]),
    '--state',
    state,
    '--nss-db',
    options.nssDb ?? 'none',
    '--systemd-dir',
    bench.unitsDir,
    ...(options.json === true ? ['--json'] : []),
  ];
}

/** `dck pc remove` of what `state` records; NSS off unless given. */
export function removeArgs(bench: PcBench, state: string, nssDb = 'none'): string[] {
  return ['remove', '--state', state, '--nss-db', nssDb, '--systemd-dir', bench.unitsDir];
}

/**
 * The certificate as installed: read back from this PC's token through `module` (what a browser would send) into
 * `<name>.der` and `<name>.pem` in the work directory. Returns the PEM file (for OpenSSL and s_client). The caller
 * flushes the TPM first where the module is tpm2-pkcs11.
 */
export async function installedCertificate(
  bench: PcBench,
  module: string,
  keyId: string,
  name: string,
): Promise<string> {
  const der = join(bench.work, `${name}.der`);
  const pem = join(bench.work, `${name}.pem`);
  const readObject = ['--read-object', '--type', 'cert', '--id', keyId, '-o', der];
  await run('pkcs11-tool', ['--module', module, '--token-label', 'dck this pc', ...readObject], { env: bench.env });
  await run('openssl', ['x509', '-inform', 'DER', '-in', der, '-out', pem]);
  return pem;
}

/** The pcscd reader with the virtual card in it; its environment reaches that pcscd. */
async function startCardReader(
  h: IssuerHarness,
): Promise<{ readonly env: NodeJS.ProcessEnv; stop(this: void): Promise<void> }> {
  const environment = await startPcscEnvironment({ tcpNoDelay: true });
  let card: VirtualCard | null = null;
  const stop = async (): Promise<void> => {
    await card?.stop();
    await environment.stop();
  };
  try {
    card = await startVirtualCard({ profile: 'p256', pki: h.pki, port: environment.vpcdPort, insert: true });
    await waitForReaderState(environment.env, environment.readerName, 'present');
  } catch (error) {
    await stop();
    throw error;
  }
  return { env: environment.env, stop };
}

/**
 * Work on the 'dck this pc' token of `directory`'s store. tpm2-pkcs11 reads TPM2_PKCS11_STORE from this process's
 * environment at C_Initialize, so it points there for the work only and is put back as it was (unset stays unset: a
 * string 'undefined' would be a store path).
 */
async function withKeysIn<T>(
  directory: string,
  tokenPin: () => Buffer,
  work: (keys: Pkcs11DeviceKeyStore) => Promise<T>,
): Promise<T> {
  const sharedStore = process.env.TPM2_PKCS11_STORE;
  process.env.TPM2_PKCS11_STORE = directory;
  try {
    const keys = new Pkcs11DeviceKeyStore({
      modulePath: TPM2_PKCS11_MODULE,
      tokenLabel: 'dck this pc',
      protection: 'tpm',
      tokenPin,
    });
    return await work(keys);
  } finally {
    if (sharedStore === undefined) delete process.env.TPM2_PKCS11_STORE;
    else process.env.TPM2_PKCS11_STORE = sharedStore;
  }
}

function ownTokenStoreIn(work: string, name: string): TpmTokenStore {
  const directory = join(work, name);
  mkdirSync(directory);
  return {
    directory,
    env: { TPM2_PKCS11_STORE: directory },
    listKeys: (tokenPin) => withKeysIn(directory, tokenPin, (keys) => keys.list()),
    withKeys: (tokenPin, work) => withKeysIn(directory, tokenPin, work),
  };
}

function softhsmEnv(work: string, softhsm: PcBenchOptions['softhsm']): NodeJS.ProcessEnv {
  if (softhsm !== 'private') return {};
  mkdirSync(join(work, 'tokens'));
  writeFileSync(
    join(work, 'softhsm2.conf'),
    `directories.tokendir = ${join(work, 'tokens')}\nobjectstore.backend = file\n`,
  );
  return { SOFTHSM2_CONF: join(work, 'softhsm2.conf') };
}

/** Starts what `options` asks for; what started is stopped again if a later part fails to start. */
export async function startPcBench(options: PcBenchOptions): Promise<PcBench> {
  const work = mkdtempSync(join(tmpdir(), options.name));
  const stops: Array<() => Promise<void>> = [() => Promise.resolve(rmSync(work, { recursive: true, force: true }))];
  const stop = async (): Promise<void> => {
    for (const stopPart of stops.splice(0).reverse()) await stopPart();
  };
  try {
    const tpm = options.tpm === true ? await startSoftwareTpm() : null;
    if (tpm !== null) stops.push(() => tpm.stop());
    const h = await startHarness();
    stops.push(() => h.close());
    const reader = options.card === true ? await startCardReader(h) : null;
    if (reader !== null) stops.push(() => reader.stop());
    return benchOn(work, h, tpm, reader?.env ?? process.env, options.softhsm, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

function benchOn(
  work: string,
  h: IssuerHarness,
  tpm: SoftwareTpm | null,
  baseEnv: NodeJS.ProcessEnv,
  softhsm: PcBenchOptions['softhsm'],
  stop: () => Promise<void>,
): PcBench {
  const caFile = join(work, 'issuer-tls.pem');
  writeFileSync(caFile, h.issuer.tlsCertificatePem);
  const base: NodeJS.ProcessEnv = { ...baseEnv };
  if (softhsm === 'cli') delete base['SOFTHSM2_CONF'];
  const env: NodeJS.ProcessEnv = {
    ...base,
    ...(tpm?.env ?? {}),
    HOME: work,
    XDG_CONFIG_HOME: join(work, 'config'),
    ...softhsmEnv(work, softhsm),
  };
  const printed: string[] = [];
  return {
    h,
    work,
    caFile,
    unitsDir: join(work, 'units'),
    env,
    printed,
    tpm,
    dck: async (args, stdin = '', extraEnv = {}) => {
      const result = await runDckPc(args, { ...env, ...extraEnv }, stdin);
      printed.push(result.stdout, result.stderr);
      return result;
    },
    flushTpm: () => {
      if (tpm === null) throw new Error('this bench has no TPM (startPcBench({ tpm: true }))');
      tpm.flushTransient();
    },
    ownTokenStore: (name) => {
      if (tpm === null) throw new Error('this bench has no TPM (startPcBench({ tpm: true }))');
      return ownTokenStoreIn(work, name);
    },
    stop,
  };
}

/** Where the FAKE Windows keeps node.exe (the renewal reminder's program). */
export const FAKE_WINDOWS_NODE_EXE = 'C:\\Program Files\\nodejs\\node.exe';

/** The FAKE Windows the Windows tests drive: its commands, a domain user, node.exe + dck.js, a fixed "now". */
export function fakeWindowsHost(commands: WindowsCommands): WindowsPcHost {
  return {
    commands,
    userId: 'AGENCY\\pat',
    dckCommand: [FAKE_WINDOWS_NODE_EXE, 'C:\\dck\\bin\\dck.js'],
    now: () => new Date('2026-12-06T14:00:00'),
  };
}

/** The card's PKI-AUTH as the test PKI's card signing in over the issuer's routes (no reader: the Windows tests). */
export async function testCardSignIn(h: IssuerHarness) {
  return ok({ sessionToken: (await kioskSignIn(h.http, await h.card())).sessionToken, commonName: '' });
}

/**
 * Making the device token visible to Chromium and Firefox on Linux: both read the user's NSS database
 * (`~/.pki/nssdb`, a `sql:` database) and load every PKCS#11 module registered there, so a certificate on the
 * token is offered for TLS client authentication. Registration runs NSS's own `modutil`; listing runs `certutil`.
 *
 * The database directory is always given by the caller: tests use a private one, never the real ~/.pki.
 * `env` carries what the module needs to find its TPM (TPM2_PKCS11_TCTI, TPM2_PKCS11_STORE): NSS tools load it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeviceKeyError } from './errors.ts';
import { DEFAULT_STORE_DEADLINE_MS } from './store-process.ts';

const run = promisify(execFile);
/** The module name browsers show under "Security devices". */
export const NSS_MODULE_NAME = 'Derived Credential (this PC)';

export interface NssDatabase {
  /** Directory of the `sql:` database (cert9.db, key4.db, pkcs11.txt). */
  readonly directory: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * The key store's deadline (store-process.ts): NSS loads every registered module, so `modutil` and `certutil` wait
   * on the TPM like a key call does (a silent TPM froze them, measured with swtpm paused). A tool not done in time
   * is killed (SIGKILL: blocked in the TPM's read, it would not act on SIGTERM's handler) → `store-no-answer`.
   */
  readonly deadlineMs?: number;
}

/** Creates an empty database (no password) when the directory has none, as Chromium does on first start. */
export async function ensureNssDatabase(database: NssDatabase): Promise<void> {
  if (existsSync(join(database.directory, 'cert9.db'))) return;
  mkdirSync(database.directory, { recursive: true, mode: 0o700 });
  await nssTool(database, 'certutil', ['-N', '-d', `sql:${database.directory}`, '--empty-password']);
}

/** Registers the module once; a second call finds it there and changes nothing. */
export async function registerModuleInNss(
  database: NssDatabase,
  modulePath: string,
): Promise<'registered' | 'already-registered'> {
  await ensureNssDatabase(database);
  if ((await listNssModules(database)).includes(NSS_MODULE_NAME)) return 'already-registered';
  // -force: modutil otherwise asks on the terminal to confirm that browsers are closed.
  await nssTool(database, 'modutil', [
    '-dbdir',
    `sql:${database.directory}`,
    '-add',
    NSS_MODULE_NAME,
    '-libfile',
    modulePath,
    '-force',
  ]);
  return 'registered';
}

export async function unregisterModuleFromNss(database: NssDatabase): Promise<void> {
  if (!(await listNssModules(database)).includes(NSS_MODULE_NAME)) return;
  await nssTool(database, 'modutil', ['-dbdir', `sql:${database.directory}`, '-delete', NSS_MODULE_NAME, '-force']);
}

/** Names of the modules in the database ("NSS Internal PKCS #11 Module" is always one). */
export async function listNssModules(database: NssDatabase): Promise<string[]> {
  const output = await nssTool(database, 'modutil', ['-dbdir', `sql:${database.directory}`, '-list']);
  return parseModutilList(output);
}

/** Nicknames of every certificate NSS sees, on every token (`certutil -L -h all`): "token:label" for token certs. */
export async function listNssCertificates(database: NssDatabase): Promise<string[]> {
  return parseCertutilList(await nssTool(database, 'certutil', ['-L', '-d', `sql:${database.directory}`, '-h', 'all']));
}

/** `modutil -list` prints "  1. NSS Internal PKCS #11 Module" lines, then indented details. */
export function parseModutilList(output: string): string[] {
  return [...output.matchAll(/^\s*\d+\.\s(.+)$/gmu)].map((match) => (match[1] ?? '').trim());
}

/**
 * `certutil -L` prints a header ("Certificate Nickname … Trust Attributes", "SSL,S/MIME,JAR/XPI"), a blank line,
 * then one certificate per line: the nickname, spaces, and the trust flags ("u,u,u" or ",,").
 */
export function parseCertutilList(output: string): string[] {
  return output
    .split('\n')
    .map((line) => /^(.+?)\s{2,}([a-zA-Z]*,[a-zA-Z]*,[a-zA-Z]*)\s*$/u.exec(line)?.[1]?.trim())
    .filter((nickname): nickname is string => nickname !== undefined && nickname !== 'Certificate Nickname');
}

async function nssTool(database: NssDatabase, tool: 'certutil' | 'modutil', args: string[]): Promise<string> {
  const deadlineMs = database.deadlineMs ?? DEFAULT_STORE_DEADLINE_MS;
  try {
    const { stdout } = await run(tool, args, {
      env: database.env ?? process.env,
      timeout: deadlineMs,
      killSignal: 'SIGKILL',
      encoding: 'utf8',
    });
    return stdout;
  } catch (error) {
    // The tool's own text names files and the user's home; our message names the tool and its exit status.
    if (typeof error === 'object' && error !== null && 'killed' in error && error.killed === true)
      throw new DeviceKeyError('store-no-answer', `${tool}: no answer in ${deadlineMs / 1000} s`);
    const status = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'failed';
    throw new DeviceKeyError(status === 'ENOENT' ? 'no-platform-store' : 'store-failed', `${tool}: ${status}`);
  }
}

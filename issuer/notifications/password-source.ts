// The SMTP and LDAP passwords: read from a file (0600 or stricter) or an environment variable each time they are
// needed, never from the config, never logged. Limit: nodemailer and ldapts take the password as a JS string,
// which cannot be wiped; the file's bytes are zero-filled once the string is made.
import { readFileSync, statSync } from 'node:fs';

export class PasswordSourceError extends Error {
  readonly code = 'password-unavailable';
  constructor(what: string, detail: string) {
    super(`${what}: ${detail}`);
    this.name = 'PasswordSourceError';
  }
}

const MAX_PASSWORD_BYTES = 1024;

export function readPassword(
  source: { passwordFile: string | null; passwordEnv: string | null },
  what: string,
): string {
  if (source.passwordEnv !== null) {
    const value = process.env[source.passwordEnv];
    if (value === undefined || value.length === 0)
      throw new PasswordSourceError(what, `the environment variable ${source.passwordEnv} is not set`);
    return value;
  }
  if (source.passwordFile === null) throw new PasswordSourceError(what, 'no passwordFile or passwordEnv');
  let bytes: Buffer;
  try {
    // Like ssh with its keys: a password file others can read is a password others know.
    if ((statSync(source.passwordFile).mode & 0o077) !== 0)
      throw new PasswordSourceError(what, `${source.passwordFile} is readable by group or others (chmod 600 it)`);
    bytes = readFileSync(source.passwordFile);
  } catch (error: unknown) {
    if (error instanceof PasswordSourceError) throw error;
    throw new PasswordSourceError(
      what,
      `cannot read ${source.passwordFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end -= 1;
  if (bytes[end - 1] === 0x0d) end -= 1;
  const password = bytes.subarray(0, end).toString('utf8');
  bytes.fill(0);
  if (password.length === 0 || end > MAX_PASSWORD_BYTES)
    throw new PasswordSourceError(what, `empty or longer than ${MAX_PASSWORD_BYTES} bytes`);
  return password;
}

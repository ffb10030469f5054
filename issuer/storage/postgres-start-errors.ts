// Why a PostgreSQL store could not be opened at start, in words an operator acts on, naming the config setting to
// look at: `issuer config: storage.url: the database "dck" does not exist on db.example:5432 (…)` instead of
// PostgreSQL's or the socket's raw error. The URL has been checked already (storage-config.ts: no password, no
// parameters), so its host, port, user and database name may be shown; they are shown as the URL spells them
// (percent-encoded), so nothing unprintable reaches a terminal. Errors not recognised are passed on unchanged.
import { ConfigError } from '../config.ts';
import type { PostgresSettings } from './postgres-connection.ts';
import { DEFAULT_POSTGRES_PORT, StorageUnavailableError } from './postgres-connection.ts';

interface Target {
  where: string;
  host: string;
  user: string;
  database: string;
}

function targetOf(url: string): Target {
  const parsed = new URL(url);
  const host = parsed.hostname;
  return {
    host,
    where: `${host}:${parsed.port === '' ? DEFAULT_POSTGRES_PORT : parsed.port}`,
    user: parsed.username,
    database: parsed.pathname.slice(1),
  };
}

const codeOf = (error: unknown): string => {
  if (error instanceof StorageUnavailableError) return error.reason;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
};

/** The setting to name and what to say about it, or null for an error this does not recognise. */
function explain(error: unknown, settings: PostgresSettings, to: Target): { field: string; detail: string } | null {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : '';
  const passwordField = settings.passwordFile === null ? 'storage.url' : 'storage.passwordFile';
  switch (code) {
    case '3D000':
      return {
        field: 'storage.url',
        detail: `the database "${to.database}" does not exist on ${to.where} (create it, owned by the user "${to.user}", or correct the database name)`,
      };
    case '28P01':
      return {
        field: passwordField,
        detail: `PostgreSQL on ${to.where} refused the password of the user "${to.user}" (check the password in storage.passwordFile and the user in storage.url)`,
      };
    case '28000':
      return {
        field: 'storage.url',
        detail: `PostgreSQL on ${to.where} does not let the user "${to.user}" connect to the database "${to.database}" (no such user, or pg_hba.conf has no entry for it from this host)`,
      };
    case 'ECONNREFUSED':
      return {
        field: 'storage.url',
        detail: `nothing accepts connections on ${to.where} (is PostgreSQL running there, and listening on that address and port?)`,
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { field: 'storage.url', detail: `the host "${to.host}" is not known (DNS)` };
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'no connection within connectTimeoutMs':
      return {
        field: 'storage.url',
        detail: `no answer from ${to.where} within storage.connectTimeoutMs (${settings.connectTimeoutMs} ms)`,
      };
    case 'ENOENT':
    case 'EACCES':
      return settings.passwordFile === null
        ? null
        : { field: 'storage.passwordFile', detail: `cannot be read (${code})` };
    default:
      // pg's own words when the server asks for a password and none was configured (no SQLSTATE).
      if (/client password must be a string|password authentication/i.test(message) && settings.passwordFile === null)
        return {
          field: 'storage.passwordFile',
          detail: `PostgreSQL on ${to.where} asks the user "${to.user}" for a password: put it in a file and name it here`,
        };
      return null;
  }
}

/** A ConfigError naming the setting behind `error` (a failed open of the store at start), or `error` itself. */
export function postgresStartError(error: unknown, settings: PostgresSettings): Error {
  const explained = explain(error, settings, targetOf(settings.url));
  if (explained !== null) return new ConfigError(explained.field, explained.detail);
  return error instanceof Error ? error : new Error(String(error));
}

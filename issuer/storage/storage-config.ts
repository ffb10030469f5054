// The `storage` section of the issuer config: SQLite in the data dir (the embedded default), or a PostgreSQL
// database shared by several issuer nodes. As for `ca`, the variant is chosen by its key (`kind`) and checked alone,
// so an error names the offending field. The URL is checked beyond its schema: PostgreSQL only, a host, no password
// (a config file is not where secrets live: `passwordFile`), and no query string (sslmode and friends would override
// the `tls` setting behind its back). Errors never quote the URL: it may hold what the operator should not have put.
import Type from 'typebox';
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { PostgresSettings } from './postgres-connection.ts';

const FilePath = Type.String({ minLength: 1, maxLength: 4096 });

export const SqliteStorageConfig = Type.Object({ kind: Type.Literal('sqlite') }, { additionalProperties: false });

export const PostgresStorageConfig = Type.Object(
  {
    kind: Type.Literal('postgres'),
    /** postgres://user@host:port/database (no password, no parameters). */
    url: Type.String({ minLength: 14, maxLength: 2048 }),
    /** A file holding the database password (mode 0600); absent: trust or a client certificate. */
    passwordFile: Type.Optional(FilePath),
    /** Connections this node opens at most (each worker of `--workers` has its own pool). */
    poolSize: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
    /** A statement running longer fails (`storage-busy`) instead of holding its connection. */
    statementTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
    /** How long a request waits for a connection before `storage-unavailable`. */
    connectTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000 }),
    /** null: plain TCP (loopback or a trusted network only); otherwise TLS verified against caFile. */
    tls: Type.Union(
      [
        Type.Object(
          { caFile: FilePath, serverName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { default: null },
    ),
  },
  { additionalProperties: false },
);

export const StorageConfig = Type.Union([SqliteStorageConfig, PostgresStorageConfig], {
  default: { kind: 'sqlite' },
});
export type StorageConfig = Static<typeof StorageConfig>;
export type PostgresStorageConfig = Static<typeof PostgresStorageConfig>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function firstProblem(schema: TSchema, value: unknown): { field: string; detail: string } | null {
  const [first] = Value.Errors(schema, Value.Default(schema, Value.Clone(value)));
  if (first === undefined) return null;
  const parts = ['storage', ...first.instancePath.split('/').filter((part) => part !== '')];
  const params = first.params as { additionalProperties?: string[]; requiredProperties?: string[] };
  if (first.keyword === 'additionalProperties')
    return { field: [...parts, params.additionalProperties?.[0] ?? ''].join('.'), detail: 'unknown setting' };
  if (first.keyword === 'required')
    return { field: [...parts, params.requiredProperties?.[0] ?? ''].join('.'), detail: 'is required' };
  return { field: parts.join('.'), detail: first.message };
}

/** What is wrong with a PostgreSQL URL, without repeating it. */
function urlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return 'must start with postgres://';
  if (url.hostname === '') return 'must name the database host';
  if (url.password !== '') return 'must not hold a password: put it in storage.passwordFile';
  if (url.username === '') return 'must name the database user (postgres://user@host/database)';
  if (url.search !== '' || url.hash !== '') return 'must not carry parameters: use the storage settings';
  if (url.pathname.length < 2) return 'must name the database (postgres://user@host/database)';
  return null;
}

/** The first thing wrong with a `storage` section, field named, or null when it is fine (or absent). */
export function storageSectionProblem(storage: unknown): { field: string; detail: string } | null {
  if (storage === undefined) return null;
  if (!isRecord(storage)) return { field: 'storage', detail: 'must be an object' };
  if (storage.kind === 'sqlite') return firstProblem(SqliteStorageConfig, storage);
  if (storage.kind !== 'postgres') return { field: 'storage.kind', detail: "must be 'sqlite' or 'postgres'" };
  const problem = firstProblem(PostgresStorageConfig, storage);
  if (problem !== null) return problem;
  const url = urlProblem(String(storage.url));
  return url === null ? null : { field: 'storage.url', detail: url };
}

/** The parsed section as the pool takes it. */
export function postgresSettings(config: PostgresStorageConfig): PostgresSettings {
  return {
    url: config.url,
    passwordFile: config.passwordFile ?? null,
    poolSize: config.poolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    tls: config.tls === null ? null : { caFile: config.tls.caFile, serverName: config.tls.serverName ?? null },
  };
}

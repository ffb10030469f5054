// The `storage` section: SQLite by default, PostgreSQL with its settings defaulted, and hostile sections stopping the
// service with the field named, without the URL (which may hold a password someone put there) in the message.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseIssuerConfig } from '../../../../issuer/config.ts';

const URL_OK = 'postgres://dck@db.agency.example:5432/issuer';

function problemOf(storage: unknown): string {
  try {
    parseIssuerConfig({ storage });
  } catch (error) {
    if (error instanceof ConfigError) return `${error.field}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('issuer config: storage section', () => {
  it('is SQLite when absent, and takes a PostgreSQL database with defaults', () => {
    expect(parseIssuerConfig({}).storage).toEqual({ kind: 'sqlite' });
    expect(parseIssuerConfig({ storage: { kind: 'postgres', url: URL_OK } }).storage).toEqual({
      kind: 'postgres',
      url: URL_OK,
      poolSize: 10,
      statementTimeoutMs: 10_000,
      connectTimeoutMs: 5_000,
      tls: null,
    });
    expect(
      parseIssuerConfig({
        storage: {
          kind: 'postgres',
          url: 'postgresql://dck@10.0.0.5/issuer',
          passwordFile: '/etc/dck/db-password',
          poolSize: 40,
          statementTimeoutMs: 2000,
          tls: { caFile: '/etc/dck/db-ca.pem', serverName: 'db.agency.example' },
        },
      }).storage,
    ).toMatchObject({ poolSize: 40, tls: { caFile: '/etc/dck/db-ca.pem' } });
  });

  it('refuses a password in the URL without repeating it', () => {
    const problem = problemOf({ kind: 'postgres', url: 'postgres://dck:hunter2-secret@db/issuer' });
    expect(problem).toMatch(/^storage\.url: .*passwordFile/);
    expect(problem).not.toContain('hunter2');
  });

  it.each([
    [[1, 2], 'storage: '],
    ['postgres', 'storage: '],
    [{ kind: 'mysql', url: URL_OK }, 'storage.kind: '],
    [{ kind: 'postgres' }, 'storage.url: '],
    [{ kind: 'postgres', url: 'http://dck@db.example/issuer' }, 'storage.url: '],
    [{ kind: 'postgres', url: 'not a url at all' }, 'storage.url: '],
    [{ kind: 'postgres', url: 'postgres://db.example/issuer' }, 'storage.url: '],
    [{ kind: 'postgres', url: 'postgres://dck@db.example/' }, 'storage.url: '],
    [{ kind: 'postgres', url: 'postgres://dck@db.example/issuer?sslmode=disable' }, 'storage.url: '],
    [{ kind: 'postgres', url: `postgres://dck@db.example/${'x'.repeat(3000)}` }, 'storage.url: '],
    [{ kind: 'postgres', url: URL_OK, poolSize: 0 }, 'storage.poolSize: '],
    [{ kind: 'postgres', url: URL_OK, poolSize: 1_000_000 }, 'storage.poolSize: '],
    [{ kind: 'postgres', url: URL_OK, poolSize: '10' }, 'storage.poolSize: '],
    [{ kind: 'postgres', url: URL_OK, statementTimeoutMs: 5 }, 'storage.statementTimeoutMs: '],
    [{ kind: 'postgres', url: URL_OK, tls: { caFile: '' } }, 'storage.tls'],
    [{ kind: 'postgres', url: URL_OK, tls: true }, 'storage.tls'],
    [{ kind: 'postgres', url: URL_OK, password: 'x' }, 'storage.password: '],
    [{ kind: 'sqlite', url: URL_OK }, 'storage.url: '],
  ])('refuses %j, naming %s', (storage, field) => {
    expect(problemOf(storage)).toContain(field);
    expect(problemOf(storage)).not.toBe('accepted');
  });
});

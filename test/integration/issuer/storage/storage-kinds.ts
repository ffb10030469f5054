// Which storage a test runs on. The issuer's storage and rule tests run on both: each file as it is on SQLite,
// and again on PostgreSQL through a two-line `*.postgres.test.ts` beside it that calls `useStorageKind('postgres')`
// and imports it (the tests are written once). On PostgreSQL each storage gets a new database on the test
// process's own server (postgres-server.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach } from 'vitest';
import type { IssuerStorage } from '../../../../issuer/storage/issuer-storage.ts';
import { openPostgresStorage } from '../../../../issuer/storage/postgres-storage.ts';
import { openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';
import { sharedPostgres, stopSharedPostgres } from './postgres-server.ts';

export type StorageKind = 'sqlite' | 'postgres';
export const STORAGE_KINDS: readonly StorageKind[] = ['sqlite', 'postgres'];

let kind: StorageKind = 'sqlite';

/** Sets the storage of every test storage this process opens from now on (call before importing the tests). */
export function useStorageKind(chosen: StorageKind): void {
  kind = chosen;
  // Called at the top of a test file: its server goes with it.
  if (chosen === 'postgres') afterAll(stopSharedPostgres);
}

export const currentStorageKind = (): StorageKind => kind;

/** A new, empty issuer storage of the current kind (a SQLite file in `dir`, or a new PostgreSQL database). */
export async function openTestStorage(dir: string, of: StorageKind = kind): Promise<IssuerStorage> {
  if (of === 'sqlite') return openSqliteStorage(join(dir, 'issuer.sqlite'));
  const server = await sharedPostgres();
  return openPostgresStorage(await server.createDatabase());
}

/**
 * A new, empty storage of the current kind for each test of the calling file (its beforeEach and afterEach), in a
 * temporary directory named `prefix…`: closed and removed after each test. Returns the test's storage.
 */
export function storagePerTest(prefix: string): () => IssuerStorage {
  let dir = '';
  let storage: IssuerStorage | null = null;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    storage = await openTestStorage(dir);
  });
  afterEach(async () => {
    await storage?.close();
    storage = null;
    rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (storage === null) throw new Error('the test storage exists only inside a test');
    return storage;
  };
}

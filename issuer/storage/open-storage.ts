// Opens the store the issuer config names (`storage`): SQLite in the data dir, or PostgreSQL (schema brought up to
// date either way). The one place that chooses; everything else sees IssuerStorage.
import { join } from 'node:path';
import type { IssuerStorage } from './issuer-storage.ts';
import { postgresStartError } from './postgres-start-errors.ts';
import { openPostgresStorage } from './postgres-storage.ts';
import { DEFAULT_BUSY_RETRY } from './sqlite-busy-retry.ts';
import { ISSUER_DATABASE_FILE, openSqliteStorage } from './sqlite-storage.ts';
import { postgresSettings } from './storage-config.ts';
import type { StorageConfig } from './storage-config.ts';

export interface OpenStorageOptions {
  /** Told of every SQLite busy answer that will be retried (the storage_busy_retries metric). */
  onBusyRetry?: () => void;
}

export async function openConfiguredStorage(
  config: StorageConfig,
  dataDir: string,
  options: OpenStorageOptions = {},
): Promise<IssuerStorage> {
  if (config.kind === 'postgres') {
    const settings = postgresSettings(config);
    try {
      return await openPostgresStorage(settings);
    } catch (error: unknown) {
      // A start-up failure names the setting to fix, not PostgreSQL's raw error.
      throw postgresStartError(error, settings);
    }
  }
  return openSqliteStorage(join(dataDir, ISSUER_DATABASE_FILE), {
    busyRetry: {
      ...DEFAULT_BUSY_RETRY,
      ...(options.onBusyRetry === undefined ? {} : { onRetry: options.onBusyRetry }),
    },
  });
}

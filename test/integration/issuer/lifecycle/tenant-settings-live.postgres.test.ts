// tenant-settings-live.test.ts again, on PostgreSQL (storage-kinds.ts): `dck admin tenant set` reaches the running
// issuer's database through the storage section of its config, and the issuer follows it without a restart.
import { useStorageKind } from '../storage/storage-kinds.ts';

useStorageKind('postgres');
await import('./tenant-settings-live.test.ts');

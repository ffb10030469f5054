// revocation-relying-party.test.ts again, on PostgreSQL (storage-kinds.ts): the lifecycle must hold on both stores.
import { useStorageKind } from '../storage/storage-kinds.ts';

useStorageKind('postgres');
await import('./revocation-relying-party.test.ts');

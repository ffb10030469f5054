// issuer-flow.test.ts again, on PostgreSQL (storage-kinds.ts): the whole HTTP flow must hold on both stores.
import { useStorageKind } from './storage/storage-kinds.ts';

useStorageKind('postgres');
await import('./issuer-flow.test.ts');

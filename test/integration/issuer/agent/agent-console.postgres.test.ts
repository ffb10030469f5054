// agent-console.test.ts again, on PostgreSQL (storage-kinds.ts): the administrator's connection is a second pool.
import { useStorageKind } from '../storage/storage-kinds.ts';

useStorageKind('postgres');
await import('./agent-console.test.ts');

// redemption-parties.test.ts again, on PostgreSQL (storage-kinds.ts): there the look-ups are one join.
import { useStorageKind } from './storage-kinds.ts';

useStorageKind('postgres');
await import('./redemption-parties.test.ts');

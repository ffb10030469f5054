// code-guess-limits.test.ts again, on PostgreSQL (storage/storage-kinds.ts): the guess counts are conditional UPDATEs there.
import { useStorageKind } from './storage/storage-kinds.ts';

useStorageKind('postgres');
await import('./code-guess-limits.test.ts');

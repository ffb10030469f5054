// issuer-prefill.test.ts again, on PostgreSQL (storage-kinds.ts): the prefill writes through the pg pool there.
import { useStorageKind } from '../integration/issuer/storage/storage-kinds.ts';

useStorageKind('postgres');
await import('./issuer-prefill.test.ts');

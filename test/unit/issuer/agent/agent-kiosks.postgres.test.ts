// agent-kiosks.test.ts again, on PostgreSQL (storage-kinds.ts): the same rules must hold on both stores.
import { useStorageKind } from '../../../integration/issuer/storage/storage-kinds.ts';

useStorageKind('postgres');
await import('./agent-kiosks.test.ts');

// monitor-revokes-derived.test.ts again, on PostgreSQL (storage-kinds.ts): the card monitor, the CRL/OCSP answers
// and the notices it queues must hold on both stores.
import { useStorageKind } from '../storage/storage-kinds.ts';

useStorageKind('postgres');
await import('./monitor-revokes-derived.test.ts');

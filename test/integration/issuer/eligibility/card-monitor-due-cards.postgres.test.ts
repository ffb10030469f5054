// card-monitor-due-cards.test.ts again, on PostgreSQL (storage-kinds.ts).
import { useStorageKind } from '../storage/storage-kinds.ts';

useStorageKind('postgres');
await import('./card-monitor-due-cards.test.ts');

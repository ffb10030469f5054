// approval-limit.test.ts again, on PostgreSQL (storage-kinds.ts): there approvals run side by side.
import { useStorageKind } from './storage-kinds.ts';

useStorageKind('postgres');
await import('./approval-limit.test.ts');

// credential-issue.test.ts again, on PostgreSQL (storage-kinds.ts).
import { useStorageKind } from './storage-kinds.ts';

useStorageKind('postgres');
await import('./credential-issue.test.ts');

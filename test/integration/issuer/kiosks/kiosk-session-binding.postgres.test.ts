// kiosk-session-binding.test.ts again, on PostgreSQL (storage-kinds.ts): the session's kiosk holds on both stores.
import { useStorageKind } from '../storage/storage-kinds.ts';

useStorageKind('postgres');
await import('./kiosk-session-binding.test.ts');

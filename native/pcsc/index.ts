// Public surface of the PC/SC edge: the interface, its one implementation, and its errors.
export type {
  CardConnection,
  CardInsertedEvent,
  ReaderEvent,
  ReaderStatus,
  ServiceDownEvent,
  SmartCardEventName,
  SmartCardEvents,
  SmartCardService,
} from './smart-card-service.ts';
export { createSmartCardService } from './smartcard-service.ts';
export type { SmartCardServiceOptions } from './smartcard-service.ts';
export { SmartCardError, isSmartCardError } from './errors.ts';
export type { SmartCardErrorCode } from './errors.ts';

// What the heartbeat reports about the kiosk's reader and card service, followed from the card port's own events
// (the same ones the session controller sees): states and error codes only, never a reader's card contents or a
// person. The last KIOSK_HEARTBEAT_MAX_ERRORS errors are kept, most recent first.
import { KIOSK_HEARTBEAT_MAX_ERRORS } from '../../contracts/kiosk-heartbeat.ts';
import type { KioskHeartbeatReport } from '../../contracts/kiosk-heartbeat.ts';
import type { CardReaderEvent, KioskCardPort } from '../card/card-port.ts';

export interface ReaderStateTracker {
  report(): KioskHeartbeatReport;
  stop(): void;
}

export function trackReaderState(card: KioskCardPort, appVersion: string, now = () => Date.now()): ReaderStateTracker {
  let reader: KioskHeartbeatReport['reader'] = 'unknown';
  let cardService: KioskHeartbeatReport['cardService'] = 'unknown';
  const errors: { at: number; code: string }[] = [];
  const onEvent = (event: CardReaderEvent) => {
    if (event.type === 'inserted') reader = 'card-present';
    else if (event.type === 'removed') reader = 'no-card';
    else if (event.readers === 'service-down') {
      if (cardService !== 'unavailable') errors.unshift({ at: now(), code: 'card-service-down' });
      cardService = 'unavailable';
      reader = 'unknown';
    } else {
      cardService = 'running';
      if (event.readers === 'none' && reader !== 'no-reader') errors.unshift({ at: now(), code: 'no-reader' });
      reader = event.readers === 'none' ? 'no-reader' : reader === 'card-present' ? reader : 'no-card';
    }
    errors.splice(KIOSK_HEARTBEAT_MAX_ERRORS);
  };
  const unsubscribe = card.subscribe(onEvent);
  return {
    report: () => ({ reader, cardService, lastErrors: [...errors], appVersion }),
    stop: unsubscribe,
  };
}

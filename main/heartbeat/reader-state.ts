// What the heartbeat reports about the kiosk's reader and card service, followed from the card port's own events
// (the same ones the session controller sees): states and error codes only, never a reader's card contents or a
// person. The last KIOSK_HEARTBEAT_MAX_ERRORS errors are kept, most recent first.
//
// Cards are followed per reader: a port that sees several readers (an unbound kiosk, or a configuration's
// `readers.nameContains` matching two) reports "card-present" while any of them holds a card. Following only the
// last event said "no card" when a card left one reader while another still held one. A kiosk bound to one reader
// (`--reader NAME`, main/card/reader-binding.ts) has a port that reports that reader alone, so it reports that one.
import { KIOSK_HEARTBEAT_MAX_ERRORS } from '../../contracts/kiosk-heartbeat.ts';
import type { KioskHeartbeatReport } from '../../contracts/kiosk-heartbeat.ts';
import type { CardReaderEvent, KioskCardPort } from '../card/card-port.ts';

export interface ReaderStateTracker {
  report(): KioskHeartbeatReport;
  stop(): void;
}

export function trackReaderState(card: KioskCardPort, appVersion: string, now = () => Date.now()): ReaderStateTracker {
  let readers: 'unknown' | 'none' | 'ready' = 'unknown';
  let cardService: KioskHeartbeatReport['cardService'] = 'unknown';
  /** Readers that hold a card now. The port's reader events carry no names, so a reader gone with its card is
   * forgotten only when no reader (or no service) is left; its card's own removal event usually comes first. */
  const withCard = new Set<string>();
  const errors: { at: number; code: string }[] = [];
  const onEvent = (event: CardReaderEvent) => {
    if (event.type === 'inserted') withCard.add(event.reader);
    else if (event.type === 'removed') withCard.delete(event.reader);
    else if (event.readers === 'service-down') {
      if (cardService !== 'unavailable') errors.unshift({ at: now(), code: 'card-service-down' });
      cardService = 'unavailable';
      readers = 'unknown';
      withCard.clear();
    } else {
      cardService = 'running';
      if (event.readers === 'none' && readers !== 'none') errors.unshift({ at: now(), code: 'no-reader' });
      readers = event.readers;
      if (readers === 'none') withCard.clear();
    }
    errors.splice(KIOSK_HEARTBEAT_MAX_ERRORS);
  };
  const reader = (): KioskHeartbeatReport['reader'] => {
    if (withCard.size > 0) return 'card-present';
    if (readers === 'none') return 'no-reader';
    return readers === 'ready' ? 'no-card' : 'unknown';
  };
  const unsubscribe = card.subscribe(onEvent);
  return {
    report: () => ({ reader: reader(), cardService, lastErrors: [...errors], appVersion }),
    stop: unsubscribe,
  };
}

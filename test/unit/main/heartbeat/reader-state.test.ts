// What the heartbeat says about the reader and the card service, from the card port's events: a scripted port
// (a test double: only its subscription is used) plays the events a real PC/SC port sends.
import { describe, expect, it } from 'vitest';
import type { CardReaderEvent, KioskCardPort } from '../../../../main/card/card-port.ts';
import { trackReaderState } from '../../../../main/heartbeat/reader-state.ts';

function scriptedPort(): { port: KioskCardPort; emit: (event: CardReaderEvent) => void } {
  const listeners = new Set<(event: CardReaderEvent) => void>();
  const port: KioskCardPort = {
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    open: () => Promise.resolve(null),
    stop: () => Promise.resolve(),
  };
  return { port, emit: (event) => listeners.forEach((listener) => listener(event)) };
}

describe('trackReaderState', () => {
  it('follows readers, card in and out, and the card service going down, keeping the last 5 errors', () => {
    const { port, emit } = scriptedPort();
    let clock = 1000;
    const tracker = trackReaderState(port, '1.2.3', () => clock);
    expect(tracker.report()).toEqual({
      reader: 'unknown',
      cardService: 'unknown',
      lastErrors: [],
      appVersion: '1.2.3',
    });
    emit({ type: 'readers', readers: 'ready' });
    emit({ type: 'inserted', reader: 'Reader 0' });
    expect(tracker.report()).toMatchObject({ reader: 'card-present', cardService: 'running' });
    emit({ type: 'removed', reader: 'Reader 0' });
    expect(tracker.report().reader).toBe('no-card');
    for (let i = 0; i < 4; i += 1) {
      clock += 1;
      emit({ type: 'readers', readers: 'service-down' });
      clock += 1;
      emit({ type: 'readers', readers: 'none' });
    }
    const report = tracker.report();
    expect(report).toMatchObject({ reader: 'no-reader', cardService: 'running' });
    expect(report.lastErrors).toHaveLength(5);
    expect(report.lastErrors[0]).toEqual({ at: 1008, code: 'no-reader' });
    expect(report.lastErrors[1]).toEqual({ at: 1007, code: 'card-service-down' });
    tracker.stop();
    emit({ type: 'readers', readers: 'service-down' });
    expect(tracker.report().cardService).toBe('running');
  });

  it('an unbound kiosk with two readers reports the card still in one reader after the other is emptied', () => {
    const { port, emit } = scriptedPort();
    const tracker = trackReaderState(port, '1.2.3');
    emit({ type: 'readers', readers: 'ready' });
    emit({ type: 'inserted', reader: 'Reader 0' });
    emit({ type: 'inserted', reader: 'Reader 1' });
    emit({ type: 'removed', reader: 'Reader 1' });
    expect(tracker.report().reader).toBe('card-present');
    emit({ type: 'removed', reader: 'Reader 0' });
    expect(tracker.report().reader).toBe('no-card');
    emit({ type: 'inserted', reader: 'Reader 1' });
    emit({ type: 'readers', readers: 'service-down' });
    expect(tracker.report().reader).toBe('unknown');
    emit({ type: 'readers', readers: 'ready' });
    expect(tracker.report().reader).toBe('no-card');
  });
});

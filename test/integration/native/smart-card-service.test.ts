// The reader watcher and card connections over a real pcscd with vpcd's two virtual readers:
// events a kiosk relies on (insert, remove, service down/up), typed errors, and no hang when a card
// is pulled mid-command. Latency figures live in `npm run bench:card`, not here.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import { Context, SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1, SCARD_SHARE_EXCLUSIVE } from 'smartcard';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSmartCardService, SmartCardError } from '../../../native/pcsc/index.ts';
import type { SmartCardEventName, SmartCardEvents, SmartCardService } from '../../../native/pcsc/index.ts';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { insertStubCard, STUB_ATR } from './vpcd-stub-card.ts';
import type { StubCard } from './vpcd-stub-card.ts';

let environment: PcscEnvironment;
let service: SmartCardService;
const cards: StubCard[] = [];

/**
 * A kiosk UI freezes when a PC/SC call blocks the main thread (`smartcard` runs SCardListReaders,
 * SCardStatus and SCardDisconnect there). Every scenario, stop() included, must leave the event loop
 * free; the bound is deliberately loose: it catches stalls of seconds, not scheduling noise.
 */
const MAX_EVENT_LOOP_STALL_MS = 2_000;
let eventLoopDelay: IntervalHistogram;

beforeAll(async () => {
  environment = await startPcscEnvironment({ tcpNoDelay: true });
});
afterAll(async () => {
  await environment.stop();
});
beforeEach(() => {
  eventLoopDelay = monitorEventLoopDelay({ resolution: 20 });
  eventLoopDelay.enable();
});
afterEach(async () => {
  await service.stop();
  eventLoopDelay.disable();
  for (const card of cards.splice(0)) await card.remove();
  if (!environment.running) await environment.startPcscd();
  await waitForReaderState(environment.env, environment.readerName, 'empty');
  await waitForReaderState(environment.env, environment.secondReaderName, 'empty');
  expect(eventLoopDelay.max / 1e6).toBeLessThan(MAX_EVENT_LOOP_STALL_MS);
});

/** Collects every event from the moment the service is created. */
function startRecording(): {
  events: { name: SmartCardEventName; reader?: string }[];
  next: <E extends SmartCardEventName>(name: E, reader?: string, timeoutMs?: number) => Promise<SmartCardEvents[E]>;
} {
  service = createSmartCardService({ initialRetryMs: 50, maxRetryMs: 400 });
  const events: { name: SmartCardEventName; reader?: string }[] = [];
  const waiters: { name: SmartCardEventName; reader?: string; resolve: (args: unknown[]) => void }[] = [];
  const names: SmartCardEventName[] = [
    'reader-added',
    'reader-removed',
    'card-inserted',
    'card-removed',
    'service-down',
    'service-up',
  ];
  for (const name of names) {
    service.on(name, (...args: unknown[]) => {
      const reader = (args[0] as { reader?: string } | undefined)?.reader;
      events.push({ name, reader });
      for (const waiter of waiters.filter((w) => w.name === name && (w.reader === undefined || w.reader === reader))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(args);
      }
    });
  }
  const next = <E extends SmartCardEventName>(
    name: E,
    reader?: string,
    timeoutMs = 5_000,
  ): Promise<SmartCardEvents[E]> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${name} event for ${reader ?? 'any reader'} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiters.push({
        name,
        reader,
        resolve: (args) => {
          clearTimeout(timer);
          resolve(args as SmartCardEvents[E]);
        },
      });
    });
  return { events, next };
}

async function insert(port: number, options?: { pullOnApdu?: boolean }): Promise<StubCard> {
  const card = await insertStubCard(port, options);
  cards.push(card);
  return card;
}

describe('SmartCardService over pcscd + vpcd', () => {
  it('reports both readers, then a card going in and out with its ATR', async () => {
    const { events, next } = startRecording();
    const added = next('reader-added', environment.secondReaderName);
    service.start();
    await added;
    expect(events.filter((e) => e.name === 'reader-added').map((e) => e.reader)).toEqual([
      environment.readerName,
      environment.secondReaderName,
    ]);

    const inserted = next('card-inserted', environment.readerName);
    const card = await insert(environment.vpcdPort);
    const [{ atr }] = await inserted;
    expect(Buffer.from(atr)).toEqual(STUB_ATR);
    expect(await service.listReaders()).toEqual([
      { name: environment.readerName, cardPresent: true, atr: new Uint8Array(STUB_ATR) },
      { name: environment.secondReaderName, cardPresent: false, atr: null },
    ]);

    const removed = next('card-removed', environment.readerName);
    await card.remove();
    await removed;
    expect(events.filter((e) => e.name === 'card-removed')).toHaveLength(1);
  });

  it('tells cards in two readers apart and reports a card already present at start', async () => {
    await insert(environment.vpcdPort + 1);
    await waitForReaderState(environment.env, environment.secondReaderName, 'present');
    const { events, next } = startRecording();
    const present = next('card-inserted', environment.secondReaderName);
    service.start();
    await present;
    const first = next('card-inserted', environment.readerName);
    await insert(environment.vpcdPort);
    await first;
    expect(events.filter((e) => e.name === 'card-inserted').map((e) => e.reader)).toEqual([
      environment.secondReaderName,
      environment.readerName,
    ]);
  });

  it('exchanges APDUs with a connected card and names wrong readers and empty ones', async () => {
    startRecording();
    await insert(environment.vpcdPort);
    await waitForReaderState(environment.env, environment.readerName, 'present');
    const connection = await service.connect(environment.readerName);
    expect(Buffer.from(connection.atr)).toEqual(STUB_ATR);
    expect(Buffer.from(await connection.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x01, 0xa0)))).toEqual(
      Buffer.from([0x90, 0x00]),
    );
    await expect(connection.transmit(Uint8Array.of(0x00))).rejects.toMatchObject({ code: 'invalid-command' });
    await connection.disconnect();
    await expect(connection.transmit(Uint8Array.of(0, 0xa4, 0, 0))).rejects.toMatchObject({
      code: 'connection-closed',
    });
    await expect(service.connect(environment.secondReaderName)).rejects.toMatchObject({ code: 'no-card' });
    await expect(service.connect('No Such Reader 00 00')).rejects.toMatchObject({ code: 'no-reader' });
  });

  it('says reader-busy when another program holds the card exclusively', async () => {
    startRecording();
    await insert(environment.vpcdPort);
    await waitForReaderState(environment.env, environment.readerName, 'present');
    const otherProgram = new Context();
    const reader = otherProgram.listReaders().find((candidate) => candidate.name === environment.readerName);
    const exclusive = await reader?.connect(SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1);
    try {
      await expect(service.connect(environment.readerName)).rejects.toMatchObject({
        code: 'reader-busy',
        message: `another program is using the card (${environment.readerName})`,
      });
    } finally {
      exclusive?.disconnect();
      otherProgram.close();
    }
    const connection = await service.connect(environment.readerName);
    await connection.disconnect();
  });

  it('rejects a command with card-removed when the card is pulled mid-command, and keeps working', async () => {
    const { next } = startRecording();
    service.start();
    const inserted = next('card-inserted', environment.readerName);
    await insert(environment.vpcdPort, { pullOnApdu: true });
    await inserted;
    const connection = await service.connect(environment.readerName);
    const removed = next('card-removed', environment.readerName);
    const failure = await connection
      .transmit(Uint8Array.of(0x00, 0x20, 0x00, 0x80, 0x08, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0xff, 0xff))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SmartCardError);
    expect((failure as SmartCardError).code).toBe('card-removed');
    expect((failure as SmartCardError).message).not.toMatch(/313233|123456/);
    await removed;
    await connection.disconnect();
    // The watcher is still alive: the next card is seen.
    const again = next('card-inserted', environment.readerName);
    await insert(environment.vpcdPort);
    await again;
  });

  it('stops at once when stop() comes just as the watcher enters its wait', async () => {
    // pcsc-lite drops an SCardCancel that arrives before SCardGetStatusChange is blocked in pcscd;
    // the watcher then sat out its whole slice. stop() right after an event hits exactly that moment:
    // the listener's microtask runs as soon as the watcher has queued its wait on the worker thread.
    for (let round = 0; round < 3; round += 1) {
      service = createSmartCardService({ watchSliceMs: 20_000 });
      const stopped = new Promise<number>((resolve) => {
        service.once('reader-added', () => {
          queueMicrotask(() => {
            const started = Date.now();
            void service.stop().then(() => resolve(Date.now() - started));
          });
        });
      });
      service.start();
      // Far below the 20 s slice a lost cancel costs, far above a cancelled wait (milliseconds).
      expect(await stopped).toBeLessThan(5_000);
    }
  }, 90_000);

  it('reports the service going down in plain words and recovers when pcscd comes back', async () => {
    const { next } = startRecording();
    service.start();
    const inserted = next('card-inserted', environment.readerName);
    await insert(environment.vpcdPort);
    await inserted;

    const removed = next('card-removed', environment.readerName);
    const down = next('service-down');
    await environment.stopPcscd();
    await removed;
    const [{ message }] = await down;
    expect(message).toBe('smart card service not running');
    await expect(service.listReaders()).rejects.toMatchObject({
      code: 'service-unavailable',
      message: 'smart card service not running',
    });
    await expect(service.connect(environment.readerName)).rejects.toMatchObject({ code: 'service-unavailable' });
    for (const card of cards.splice(0)) await card.remove();
    // While it retries, the event loop stays free: a 20 ms timer still fires (bound kept loose on purpose).
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(Date.now() - started).toBeLessThan(1_000);

    const up = next('service-up', undefined, 10_000);
    const readerBack = next('reader-added', environment.readerName, 10_000);
    await environment.startPcscd();
    await up;
    await readerBack;
    const insertedAgain = next('card-inserted', environment.readerName);
    await insert(environment.vpcdPort);
    await insertedAgain;
  });
});

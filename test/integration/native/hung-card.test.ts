// A card that stops answering, or drips one byte and 61 01 for ever, must end every card command at its deadline
// (the per-APDU transmit timeout alone never ends a drip), and the kiosk's card port must call it unreadable.
// Real pcscd + vpcd with the stub card acting out each fault.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPcscCardPort } from '../../../main/card/pcsc-card-port.ts';
import { createSmartCardService } from '../../../native/pcsc/index.ts';
import type { SmartCardService } from '../../../native/pcsc/index.ts';
import { PivCard } from '../../../piv/index.ts';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { insertStubCard } from './vpcd-stub-card.ts';
import type { StubCard, StubCardOptions } from './vpcd-stub-card.ts';

const DEADLINE_MS = 1_500;
let environment: PcscEnvironment;
let service: SmartCardService | null = null;
let card: StubCard | null = null;

beforeAll(async () => {
  environment = await startPcscEnvironment({ tcpNoDelay: true });
});
afterAll(async () => {
  await environment.stop();
});
afterEach(async () => {
  // The card first: pcscd finishes a transmit the silent card never answers only when the card is gone.
  await card?.remove();
  card = null;
  await service?.stop();
  service = null;
  await waitForReaderState(environment.env, environment.readerName, 'empty');
});

async function insert(options: StubCardOptions): Promise<void> {
  card = await insertStubCard(environment.vpcdPort, options);
  await waitForReaderState(environment.env, environment.readerName, 'present');
}

describe('a card that never finishes a command', () => {
  it.each<[string, StubCardOptions]>([
    ['drips one byte and 61 01 every 300 ms', { dripMs: 300 }],
    ['stops answering', { silent: true }],
  ])(
    '%s: the command rejects with card-timeout at the deadline, and the card is not used again',
    async (_name, options) => {
      await insert(options);
      service = createSmartCardService({ transmitTimeoutMs: 30_000 });
      const connection = await service.connect(environment.readerName);
      const piv = new PivCard(connection, { atr: connection.atr, commandDeadlineMs: DEADLINE_MS });
      const started = Date.now();
      await expect(piv.readCertificate('9A')).rejects.toMatchObject({ code: 'card-timeout' });
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 2_000);
      const sent = card?.apdus ?? 0;
      await expect(piv.pinStatus('application')).rejects.toMatchObject({ code: 'card-timeout' });
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(card?.apdus).toBe(sent); // nothing more went to the card, not even the dripping loop's next GET RESPONSE
    },
    20_000,
  );

  it('the kiosk port calls it unreadable ("this card cannot be read") instead of reading for ever', async () => {
    await insert({ dripMs: 300 });
    service = createSmartCardService();
    const port = createPcscCardPort(service, { commandDeadlineMs: DEADLINE_MS });
    const session = await port.open(environment.readerName);
    if (session === null) throw new Error('could not open the stub card');
    const started = Date.now();
    expect(await session.readIdentity()).toEqual({ kind: 'refused', reason: 'unreadable' });
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 2_000);
    await session.close();
  }, 20_000);
});

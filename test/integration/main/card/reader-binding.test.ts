// A card port bound to one reader of a pcscd that has two (a kiosk and an agent console on one machine): it sees
// only its own reader's cards, refuses to open the other's, and a reader that is not connected, or a name that
// cannot be a reader's, is refused before anything starts, with the readers that are there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardReaderEvent, KioskCardPort } from '../../../../main/card/card-port.ts';
import { cardPortOnReader, ReaderChoiceError } from '../../../../main/card/reader-binding.ts';
import { createPcscCardPort } from '../../../../main/card/pcsc-card-port.ts';
import { trackReaderState } from '../../../../main/heartbeat/reader-state.ts';
import { createSmartCardService } from '../../../../native/pcsc/index.ts';
import { startPcscEnvironment, waitForReaderState } from '../../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../../virtual-card/pcscd/pcsc-environment.ts';
import { createTestPki } from '../../../../virtual-card/test-pki.ts';
import { startThreadedVirtualCard } from '../../../../virtual-card/threaded-virtual-card.ts';
import type { ThreadedVirtualCard } from '../../../../virtual-card/threaded-virtual-card.ts';

let pcsc: PcscEnvironment;
let personCard: ThreadedVirtualCard;
let agentCard: ThreadedVirtualCard;

beforeAll(async () => {
  pcsc = await startPcscEnvironment();
  const pki = await createTestPki();
  personCard = await startThreadedVirtualCard({ profile: 'p256', port: pcsc.vpcdPort, pki, commonName: 'Pat Person' });
  agentCard = await startThreadedVirtualCard({
    profile: 'p256',
    port: pcsc.vpcdPort + 1,
    pki,
    commonName: 'Dana Desk',
    fascnHex: `d9${'0'.repeat(48)}`,
  });
}, 60_000);

afterAll(async () => {
  await personCard?.stop();
  await agentCard?.stop();
  await pcsc?.stop();
});

/** Every insert/remove event the port reports, in order. */
function follow(port: KioskCardPort): { events: string[]; stop: () => void } {
  const events: string[] = [];
  const stop = port.subscribe((event: CardReaderEvent) => {
    if (event.type !== 'readers') events.push(`${event.type} ${event.reader}`);
  });
  return { events, stop };
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a card port bound to one reader (two readers, one pcscd)', () => {
  it('reports only its own reader: the person at reader 1 is not the agent at reader 2', async () => {
    const agentsPort = await cardPortOnReader(createSmartCardService(), pcsc.secondReaderName);
    const unbound = createPcscCardPort(createSmartCardService());
    const agents = follow(agentsPort);
    const everything = follow(unbound);
    // What each one's heartbeat would say (main/heartbeat/reader-state.ts).
    const agentsHeartbeat = trackReaderState(agentsPort, 'test');
    const unboundHeartbeat = trackReaderState(unbound, 'test');
    try {
      await personCard.insert();
      await waitForReaderState(pcsc.env, pcsc.readerName, 'present');
      await agentCard.insert();
      await waitForReaderState(pcsc.env, pcsc.secondReaderName, 'present');
      await expect.poll(() => everything.events.length).toBe(2);
      await settle(300);
      // The unbound port takes both cards (the first in would be the console's agent); the bound one only its own.
      expect([...everything.events].sort()).toEqual([
        `inserted ${pcsc.readerName}`,
        `inserted ${pcsc.secondReaderName}`,
      ]);
      expect(agents.events).toEqual([`inserted ${pcsc.secondReaderName}`]);
      expect(await agentsPort.open(pcsc.readerName)).toBeNull();
      const session = await agentsPort.open(pcsc.secondReaderName);
      expect(await session?.readIdentity()).toMatchObject({ kind: 'ok', holderName: 'Dana Desk' });
      await session?.close();
      expect(agentsHeartbeat.report().reader).toBe('card-present');

      await personCard.remove();
      await waitForReaderState(pcsc.env, pcsc.readerName, 'empty');
      await expect.poll(() => everything.events.length).toBe(3);
      // The agent's card is still in reader 2: the unbound port's heartbeat must not say "no card".
      expect(unboundHeartbeat.report().reader).toBe('card-present');
      expect(agentsHeartbeat.report().reader).toBe('card-present');
      await agentCard.remove();
      await expect.poll(() => agents.events.length).toBe(2);
      await expect.poll(() => everything.events.length).toBe(4);
      expect(agents.events[1]).toBe(`removed ${pcsc.secondReaderName}`);
      expect(agentsHeartbeat.report().reader).toBe('no-card');
      expect(unboundHeartbeat.report().reader).toBe('no-card');
    } finally {
      agentsHeartbeat.stop();
      unboundHeartbeat.stop();
      agents.stop();
      everything.stop();
      await agentsPort.stop();
      await unbound.stop();
    }
  }, 60_000);

  it('a reader that is not connected is refused at once, naming the readers that are', async () => {
    const refusal = cardPortOnReader(createSmartCardService(), 'Desk Reader 7');
    await expect(refusal).rejects.toThrow(ReaderChoiceError);
    await expect(refusal).rejects.toThrow(
      `the reader "Desk Reader 7" is not connected (readers: "${pcsc.readerName}", "${pcsc.secondReaderName}")`,
    );
    // A prefix of a real name is not that reader: names are matched whole.
    await expect(cardPortOnReader(createSmartCardService(), 'Virtual PCD')).rejects.toThrow(/is not connected/);
  });

  it.each([
    ['empty', ''],
    ['too long', 'R'.repeat(128)],
    ['a terminal escape', 'Virtual PCD 00 00\u001b[2J'],
    ['a line break', 'Virtual PCD 00 00\nreaders: none'],
  ])('a reader name that cannot be one (%s) is refused in a sentence', async (_, name) => {
    await expect(cardPortOnReader(createSmartCardService(), name)).rejects.toMatchObject({
      code: 'reader-name-invalid',
      message: 'a reader name is 1 to 127 printable characters (as `dck card list` shows it)',
    });
  });
});

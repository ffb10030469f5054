// The kiosk's card port over the real stack (private pcscd + vpcd + the virtual PIV card): a card pulled while a
// command runs is reported as a removal, not as an unreadable card, so the kiosk goes straight back to welcome
// instead of showing "card unreadable" until pcscd's removal event arrives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardReaderEvent } from '../../../main/card/card-port.ts';
import { startDemoEnvironment } from '../../../demo/demo-environment.ts';
import type { DemoEnvironment } from '../../../demo/demo-environment.ts';

let demo: DemoEnvironment;
let unsubscribe: () => void = () => undefined;
const waiting: { type: CardReaderEvent['type']; resolve: (reader: string) => void }[] = [];

beforeAll(async () => {
  demo = await startDemoEnvironment({ virtualCard: 'always', cardholderName: 'Ada Lovelace' });
  unsubscribe = demo.card.subscribe((event) => {
    if (event.type === 'readers') return;
    const at = waiting.findIndex((w) => w.type === event.type);
    if (at >= 0) waiting.splice(at, 1)[0]!.resolve(event.reader);
  });
});

afterAll(async () => {
  unsubscribe();
  await demo?.card.stop();
  await demo?.stop();
});

const next = (type: 'inserted' | 'removed'): Promise<string> =>
  new Promise((resolve) => waiting.push({ type, resolve }));

async function insertAndOpen() {
  const inserted = next('inserted');
  await demo.virtualCard!.insert();
  const reader = await inserted;
  const session = await demo.card.open(reader);
  if (session === null) throw new Error('could not open the inserted card');
  return session;
}

describe('pcsc card port: a card pulled mid-command', () => {
  it('reading the card: reports card-removed, not an unreadable card', async () => {
    const session = await insertAndOpen();
    const removed = next('removed');
    await demo.virtualCard!.remove(); // connected, nothing read yet: every APDU of the read meets an empty reader
    expect(await session.readIdentity()).toEqual({ kind: 'card-removed' });
    await removed;
    await session.close();
  });

  it('VERIFY: reports card-removed (not a card error) and the PIN is still wiped', async () => {
    const session = await insertAndOpen();
    expect(await session.readIdentity()).toMatchObject({ kind: 'ok', holderName: 'Ada Lovelace' });
    const removed = next('removed');
    await demo.virtualCard!.remove();
    const pin = new TextEncoder().encode('123456');
    expect(await session.verifyPin(pin)).toEqual({ kind: 'card-removed' });
    expect([...pin].every((byte) => byte === 0)).toBe(true);
    await removed;
    await session.close();
  });

  it('a card that stays in still reads normally afterwards', async () => {
    const session = await insertAndOpen();
    expect(await session.readIdentity()).toMatchObject({ kind: 'ok', holderName: 'Ada Lovelace', triesLeft: 3 });
    await session.close();
    const removed = next('removed');
    await demo.virtualCard!.remove();
    await removed;
  });
});

// The card an app holds for its sign-in, with the scripted card double (scripted-card.ts): cards in and out are
// reported, the held card's removal is told, a card let go mid-call is "superseded", and the PIN is zero-filled on
// every path, the card layer's throw included. The apps' use of it: test/unit/main/console/console-controller.test.ts
// and test/unit/main/this-pc/pc-controller.test.ts.
import { describe, expect, it } from 'vitest';
import { watchCardPin } from '../../../../main/card/card-pin-session.ts';
import type { CardPinSession } from '../../../../main/card/card-pin-session.ts';
import { CERTIFICATE, pinBytes, READER, RIGHT_PIN, ScriptedReader, wiped } from './scripted-card.ts';

function watch(reader: ScriptedReader) {
  const told: string[] = [];
  const card: CardPinSession = watchCardPin(reader, {
    inserted: (name) => told.push(`in ${name}`),
    heldCardRemoved: (name) => told.push(`held out ${name}`),
  });
  return { card, told };
}

describe('watchCardPin', () => {
  it('reports cards in and out, and the held card leaving only while it is held', async () => {
    const reader = new ScriptedReader();
    const { card, told } = watch(reader);
    reader.insert();
    expect([...card.readersWithCard]).toEqual([READER]);
    reader.remove();
    expect(card.readersWithCard.size).toBe(0);
    reader.insert();
    expect(await card.take(READER)).toEqual({ kind: 'ok', holderName: 'Hal Helpdesk', triesLeft: 3 });
    expect(card.held()).toMatchObject({ reader: READER, certificateDer: CERTIFICATE, holderName: 'Hal Helpdesk' });
    reader.remove();
    expect(told).toEqual([`in ${READER}`, `in ${READER}`, `held out ${READER}`]);
    await card.release();
    reader.insert();
    reader.remove();
    expect(told.filter((line) => line.startsWith('held out'))).toHaveLength(1);
    await card.stop();
    expect(reader.stopped).toBe(true);
  });

  it('a card already in as the watch starts is told once the session exists, so the handler can take it', async () => {
    const reader = new ScriptedReader();
    reader.cardAtStart = true;
    const taken: unknown[] = [];
    const card: CardPinSession = watchCardPin(reader, {
      inserted: (name) => void card.take(name).then((reading) => taken.push(reading)),
      heldCardRemoved: () => undefined,
    });
    await expect.poll(() => taken).toEqual([{ kind: 'ok', holderName: 'Hal Helpdesk', triesLeft: 3 }]);
    expect([...card.readersWithCard]).toEqual([READER]);
  });

  it('closeCard resets the card but keeps it held; release lets it go', async () => {
    const reader = new ScriptedReader();
    const { card } = watch(reader);
    await card.take(READER);
    const held = card.held();
    await card.closeCard();
    expect(reader.card.closes).toBe(1);
    expect(held !== null && card.isHeld(held)).toBe(true);
    expect(card.held()?.session).toBeNull();
    await card.release();
    expect(card.held()).toBeNull();
    expect(held !== null && card.isHeld(held)).toBe(false);
  });

  it('a card let go while it was being read is "superseded", and its connection is closed', async () => {
    const reader = new ScriptedReader();
    const { card } = watch(reader);
    const reading = card.take(READER);
    void card.release();
    expect(await reading).toEqual({ kind: 'superseded' });
    expect(reader.card.closes).toBe(1);
  });

  it('the PIN is wiped on every path: no card, right, wrong, card error, pulled mid-verify, the card layer throwing', async () => {
    const reader = new ScriptedReader();
    const { card } = watch(reader);
    const noCard = pinBytes(RIGHT_PIN);
    expect(await card.verifyPin(noCard)).toEqual({ kind: 'no-card' });
    expect(wiped(noCard)).toBe(true);

    await card.take(READER);
    const wrong = pinBytes('000000');
    expect(await card.verifyPin(wrong)).toEqual({ kind: 'wrong', triesLeft: 2 });
    const right = pinBytes(RIGHT_PIN);
    expect(await card.verifyPin(right)).toEqual({ kind: 'ok' });
    reader.card.verify = 'card-error';
    const error = pinBytes(RIGHT_PIN);
    expect(await card.verifyPin(error)).toEqual({ kind: 'card-error' });
    reader.card.verify = 'throws';
    const thrown = pinBytes(RIGHT_PIN);
    await expect(card.verifyPin(thrown)).rejects.toThrow('SCardTransmit');
    expect([wrong, right, error, thrown].map(wiped)).toEqual([true, true, true, true]);
  });

  it('a card pulled mid-verify, let go by the app as the reader tells it: "superseded", the PIN wiped', async () => {
    const reader = new ScriptedReader();
    const card: CardPinSession = watchCardPin(reader, {
      inserted: () => undefined,
      heldCardRemoved: () => void card.release(),
    });
    await card.take(READER);
    reader.card.verify = 'pulled-mid-verify';
    const pin = pinBytes(RIGHT_PIN);
    expect(await card.verifyPin(pin)).toEqual({ kind: 'superseded' });
    expect(wiped(pin)).toBe(true);
  });

  it('a blocked card: the PIN that blocks it is wiped', async () => {
    const reader = new ScriptedReader();
    reader.card.triesLeft = 1;
    const { card } = watch(reader);
    await card.take(READER);
    const pin = pinBytes('000000');
    expect(await card.verifyPin(pin)).toEqual({ kind: 'blocked' });
    expect(wiped(pin)).toBe(true);
  });
});

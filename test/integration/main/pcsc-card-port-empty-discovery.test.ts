// The kiosk's card port over the real stack (private pcscd + vpcd + the virtual PIV card) with a card whose discovery
// object is present but zero-length (7E 00), as on GSA's ICAM test card 25 "Discovery Object Not Present". GSA: a
// system then uses the application PIN. The greeting and the PIN verification must work, not throw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoEnvironment } from '../../../demo/demo-environment.ts';
import type { DemoEnvironment } from '../../../demo/demo-environment.ts';

let demo: DemoEnvironment;

beforeAll(async () => {
  demo = await startDemoEnvironment({
    virtualCard: 'always',
    profile: 'empty-discovery',
    cardholderName: 'Ada Lovelace',
  });
});

afterAll(async () => {
  await demo?.card.stop();
  await demo?.stop();
});

describe('pcsc card port: a card with an empty discovery object', () => {
  it('greets the cardholder and verifies the application PIN', async () => {
    const inserted = new Promise<string>((resolve) => {
      const unsubscribe = demo.card.subscribe((event) => {
        if (event.type === 'inserted') {
          unsubscribe();
          resolve(event.reader);
        }
      });
    });
    await demo.virtualCard?.insert();
    const session = await demo.card.open(await inserted);
    if (session === null) throw new Error('could not open the inserted card');
    expect(await session.readIdentity()).toMatchObject({ kind: 'ok', holderName: 'Ada Lovelace', triesLeft: 3 });
    const pin = new TextEncoder().encode(demo.virtualCard?.identity.pin ?? '');
    expect(await session.verifyPin(pin)).toEqual({ kind: 'ok' });
    expect([...pin].every((byte) => byte === 0)).toBe(true);
    await session.close();
  });
});

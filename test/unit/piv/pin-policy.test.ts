import { describe, expect, it } from 'vitest';
import { OBJECT_TAG } from '../../../piv/objects.ts';
import { PivCard } from '../../../piv/piv-card.ts';
import { verifyPinSafely } from '../../../piv/pin-policy.ts';
import { PivError } from '../../../piv/errors.ts';
import { discoveryObject, FakePivCard } from './fake-piv-card.ts';
import type { FakeCardConfig } from './fake-piv-card.ts';

function setup(config: FakeCardConfig): { fake: FakePivCard; card: PivCard } {
  const fake = new FakePivCard(config);
  return { fake, card: new PivCard(fake) };
}

const isZero = (b: Buffer): boolean => b.every((x) => x === 0);
const verifyCommands = (fake: FakePivCard): string[] => fake.log.filter((apdu) => apdu.startsWith('0020'));

describe('verifyPinSafely', () => {
  it('correct PIN: reads discovery, checks the counter, verifies, zero-fills the PIN', async () => {
    const { fake, card } = setup({
      applicationPin: '123456',
      objects: new Map([[OBJECT_TAG.DISCOVERY, discoveryObject(false)]]),
    });
    const pin = Buffer.from('123456');
    expect(await verifyPinSafely(card, pin)).toEqual({ outcome: 'correct', reference: 'application' });
    expect(isZero(pin)).toBe(true);
    expect(fake.instructions).toEqual(['a4', 'cb', '20', '20']);
    expect(verifyCommands(fake)).toEqual(['00200080', '0020008008313233343536ffff']);
  });

  it('uses the global PIN (reference 00) when discovery says it is primary', async () => {
    const { fake, card } = setup({
      globalPin: '87654321',
      objects: new Map([[OBJECT_TAG.DISCOVERY, discoveryObject(true)]]),
    });
    expect(await verifyPinSafely(card, Buffer.from('87654321'))).toEqual({ outcome: 'correct', reference: 'global' });
    expect(verifyCommands(fake)).toEqual(['00200000', '00200000083837363534333231']);
  });

  it('uses the application PIN when the card has no discovery object', async () => {
    const { card } = setup({ applicationPin: '123456' });
    expect((await verifyPinSafely(card, Buffer.from('123456'))).reference).toBe('application');
  });

  it('wrong PIN reports tries left (63C2 -> 2) and zero-fills', async () => {
    const { card } = setup({ applicationPin: '123456', triesLeft: 3 });
    const pin = Buffer.from('000000');
    expect(await verifyPinSafely(card, pin)).toEqual({ outcome: 'wrong', reference: 'application', triesLeft: 2 });
    expect(isZero(pin)).toBe(true);
  });

  it('refuses to spend the last try unless allowed, and sends nothing but the counter check', async () => {
    const { fake, card } = setup({ applicationPin: '123456', triesLeft: 1 });
    const pin = Buffer.from('000000');
    expect(await verifyPinSafely(card, pin, { reference: 'application' })).toEqual({
      outcome: 'last-try-refused',
      reference: 'application',
    });
    expect(isZero(pin)).toBe(true);
    expect(verifyCommands(fake)).toEqual(['00200080']);

    // Allowed: the wrong PIN on the last try blocks the card (63C0), reported as blocked.
    expect(
      await verifyPinSafely(card, Buffer.from('000000'), { reference: 'application', allowLastTry: true }),
    ).toEqual({ outcome: 'blocked', reference: 'application' });
    expect(verifyCommands(fake)).toEqual(['00200080', '00200080', '0020008008303030303030ffff']);
    expect(
      await verifyPinSafely(card, Buffer.from('123456'), { reference: 'application', allowLastTry: true }),
    ).toEqual({ outcome: 'blocked', reference: 'application' });
  });

  it('reports blocked (6983) without sending the PIN', async () => {
    const { fake, card } = setup({ applicationPin: '123456', triesLeft: 0 });
    expect(await verifyPinSafely(card, Buffer.from('123456'), { allowLastTry: true })).toEqual({
      outcome: 'blocked',
      reference: 'application',
    });
    expect(verifyCommands(fake)).toEqual(['00200080']);
  });

  it('already verified (empty VERIFY 9000): the PIN is still checked', async () => {
    const { fake, card } = setup({ applicationPin: '123456' });
    await card.verifyPin(Buffer.from('123456'), 0x80);
    expect(await card.pinStatus(0x80)).toBe('verified');
    expect(await verifyPinSafely(card, Buffer.from('654321'), { reference: 'application' })).toEqual({
      outcome: 'wrong',
      reference: 'application',
      triesLeft: 2,
    });
    expect(verifyCommands(fake).filter((a) => a.length > 8)).toHaveLength(2);
  });

  it('card-removed from the transport reaches the caller as card-removed', async () => {
    const card = new PivCard({ transmit: () => Promise.reject(new PivError('card-removed', 'The card was removed')) });
    await expect(verifyPinSafely(card, Buffer.from('123456'))).rejects.toMatchObject({ code: 'card-removed' });
  });

  it('a badly formatted PIN rejects with pin-format, sends nothing at all, and is zero-filled', async () => {
    const { fake, card } = setup({});
    const pin = Buffer.from('12a456');
    await expect(verifyPinSafely(card, pin)).rejects.toMatchObject({ code: 'pin-format' });
    expect(fake.log).toEqual([]);
    expect(isZero(pin)).toBe(true);
  });

  it('zero-fills the PIN when the card is pulled mid-flow', async () => {
    const { fake, card } = setup({ applicationPin: '123456' });
    await card.select();
    fake.removed = true;
    const pin = Buffer.from('123456');
    const error: unknown = await verifyPinSafely(card, pin).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PivError);
    expect((error as PivError).code).toBe('transport-failure');
    expect(isZero(pin)).toBe(true);
  });
});

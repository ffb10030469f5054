/**
 * Our card edge against the project's independently written virtual PIV applet (virtual-card/),
 * in process: two readings of SP 800-73-4 must agree. The same flows then run over PC/SC in the
 * integration tests.
 */
import { describe, expect, it } from 'vitest';
import { virtualCardAtr } from '../../../virtual-card/atr.ts';
import { PivApplet } from '../../../virtual-card/piv-applet.ts';
import { buildProfile } from '../../../virtual-card/profiles.ts';
import type { ProfileName } from '../../../virtual-card/profiles.ts';
import { readAuthenticationIdentity, readCardInfo } from '../../../piv/card-info.ts';
import { PivCard } from '../../../piv/piv-card.ts';
import { verifyPinSafely } from '../../../piv/pin-policy.ts';
import { signChallenge } from '../../../piv/pki-auth.ts';
import type { CardTransport } from '../../../piv/transport.ts';

async function virtualCard(
  profile: ProfileName,
): Promise<{ applet: PivApplet; transport: CardTransport; pin: string }> {
  const built = await buildProfile(profile, { commonName: 'Ada Lovelace' });
  const applet = new PivApplet(built.applet);
  return {
    applet,
    transport: { transmit: (command) => Promise.resolve(applet.transmit(command)) },
    pin: built.identity.pin,
  };
}

const challenge = Buffer.alloc(32, 0x17); // a PKI-AUTH challenge is exactly 32 bytes

describe('PivCard against the virtual PIV applet', () => {
  it.each<[ProfileName, boolean]>([
    ['rsa2048', false],
    ['rsa2048', true],
    ['p256', false],
    ['compressed', false],
    ['global-pin', true],
  ])('profile %s, extended length %s: info, greeting, PIN, verified signature', async (profile, extendedLength) => {
    const { applet, transport, pin } = await virtualCard(profile);
    const atr = virtualCardAtr();
    const info = await readCardInfo(new PivCard(transport, { atr }), atr);
    expect(info.problems).toEqual([]);
    expect(info.supportsExtendedLength).toBe(true);
    expect(info.chuid?.fascn).toMatchObject({ agencyCode: '9999', parityOk: true, lrcOk: true });
    expect(info.certificates['9A']?.commonName).toBe('Ada Lovelace');
    expect(info.certificates['9E']).not.toBeNull();
    expect(info.discovery?.primaryPin).toBe(profile === 'global-pin' ? 'global' : 'application');
    expect(info.pin?.triesLeft).toBe(3);

    const before = applet.apduCount;
    applet.reset(); // a fresh insertion
    const card = new PivCard(transport, { extendedLength });
    const identity = await readAuthenticationIdentity(card);
    expect(identity.certificate.commonName).toBe('Ada Lovelace');
    const result = await signChallenge(card, challenge, Buffer.from(pin));
    expect(result.verified).toBe(true);
    const used = applet.apduCount - before;
    console.log(`virtual card ${profile} extended=${extendedLength}: ${used} APDUs insert -> verified signature`);
    expect(used).toBe(card.apduCount);
    expect(used).toBeLessThanOrEqual(13);
  });

  it('empty discovery object (7E 00, GSA ICAM card 25): read as absent, the application PIN is used and verifies', async () => {
    const { transport, pin } = await virtualCard('empty-discovery');
    const atr = virtualCardAtr();
    const info = await readCardInfo(new PivCard(transport, { atr }), atr);
    expect(info.problems).toEqual([]);
    expect(info.discovery).toBeNull();
    expect(info.pin).toEqual({ reference: 'application', triesLeft: 3 });
    const card = new PivCard(transport);
    expect((await readAuthenticationIdentity(card)).pin).toEqual({ reference: 'application', triesLeft: 3 });
    expect(await verifyPinSafely(card, Buffer.from(pin))).toEqual({ outcome: 'correct', reference: 'application' });
  });

  it('blocked profile: verifyPinSafely reports blocked without sending the PIN', async () => {
    const { transport } = await virtualCard('blocked');
    const card = new PivCard(transport);
    expect(await verifyPinSafely(card, Buffer.from('123456'))).toEqual({
      outcome: 'blocked',
      reference: 'application',
    });
  });

  it('wrong PIN counts down, last try is refused', async () => {
    const { applet, transport } = await virtualCard('p256');
    const card = new PivCard(transport);
    expect(await verifyPinSafely(card, Buffer.from('000000'))).toEqual({
      outcome: 'wrong',
      reference: 'application',
      triesLeft: 2,
    });
    expect(await verifyPinSafely(card, Buffer.from('000000'))).toEqual({
      outcome: 'wrong',
      reference: 'application',
      triesLeft: 1,
    });
    expect(await verifyPinSafely(card, Buffer.from('000000'))).toEqual({
      outcome: 'last-try-refused',
      reference: 'application',
    });
    expect(applet.pinRetriesLeft(0x80)).toBe(1);
  });
});

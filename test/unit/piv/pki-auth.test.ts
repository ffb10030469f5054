import { verify, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { pkiAuthMessageBytes } from '../../integration/pki-auth/card-signature.ts';
import { readAuthenticationIdentity } from '../../../piv/card-info.ts';
import { OBJECT_TAG } from '../../../piv/objects.ts';
import { PivCard } from '../../../piv/piv-card.ts';
import type { KeyAlgorithm } from '../../../piv/piv-card.ts';
import { signChallenge } from '../../../piv/pki-auth.ts';
import { certificateObject, discoveryObject, FakePivCard } from './fake-piv-card.ts';
import { makeCardKey } from './test-pki.ts';
import type { CardKey } from './test-pki.ts';

const ALGORITHMS: KeyAlgorithm[] = ['RSA-2048', 'ECC-P256', 'ECC-P384'];
const keys = new Map<KeyAlgorithm, CardKey>();
const challenge = Buffer.alloc(32, 0x5f); // the issuer's nonce: exactly 32 bytes

beforeAll(async () => {
  for (const algorithm of ALGORITHMS) keys.set(algorithm, await makeCardKey(algorithm));
});

function fakeCard(
  algorithm: KeyAlgorithm,
  options: { extendedLength?: boolean; compress?: boolean } = {},
): FakePivCard {
  const key = keys.get(algorithm);
  if (key === undefined) throw new Error('key missing');
  return new FakePivCard({
    applicationPin: '123456',
    extendedLength: options.extendedLength,
    keys: new Map([[0x9a, key]]),
    objects: new Map([
      [OBJECT_TAG.CERT_PIV_AUTH, certificateObject(key.certificateDer, options.compress)],
      [OBJECT_TAG.DISCOVERY, discoveryObject(false)],
    ]),
  });
}

describe('signChallenge (PKI-AUTH with key 9A)', () => {
  it.each(ALGORITHMS)('%s: signs, and the signature verifies against the 9A certificate', async (algorithm) => {
    const fake = fakeCard(algorithm);
    const card = new PivCard(fake);
    const pin = Buffer.from('123456');
    const result = await signChallenge(card, challenge, pin);
    expect(result.algorithm).toBe(algorithm);
    expect(result.verified).toBe(true);
    // What the card signed is the PKI-AUTH message over both nonces, never the raw challenge.
    expect(result.kioskNonce).toHaveLength(32);
    const publicKey = new X509Certificate(Buffer.from(result.certificateDer)).publicKey;
    const hash = algorithm === 'ECC-P384' ? 'sha384' : 'sha256';
    const over = (message: Uint8Array) =>
      verify(
        hash,
        message,
        algorithm === 'RSA-2048' ? publicKey : { key: publicKey, dsaEncoding: 'der' },
        result.signature,
      );
    expect(over(pkiAuthMessageBytes(challenge, result.kioskNonce))).toBe(true);
    expect(over(challenge)).toBe(false);
    expect(result.certificateDer).toEqual(keys.get(algorithm)?.certificateDer);
    expect(result.certificate.commonName).toBe('Ada Lovelace');
    expect(pin.every((b) => b === 0)).toBe(true);
    // Only what the step needs: no CHUID, no other certificates.
    const objectsRead = fake.log.filter((a) => a.startsWith('00cb')).map((a) => a.slice(14, -2));
    expect(objectsRead).toEqual(['5fc105', '7e']);
  });

  it('reports verified=false when the card signs with a different key than its certificate', async () => {
    const other = await makeCardKey('ECC-P256');
    const key = keys.get('ECC-P256');
    if (key === undefined) throw new Error('key missing');
    const fake = new FakePivCard({
      keys: new Map([[0x9a, { ...key, rawSign: other.rawSign }]]),
      objects: new Map([[OBJECT_TAG.CERT_PIV_AUTH, certificateObject(key.certificateDer)]]),
    });
    const result = await signChallenge(new PivCard(fake), challenge, Buffer.from('123456'));
    expect(result.verified).toBe(false);
  });

  it('a wrong PIN rejects with wrong-pin and tries left, and no signature is requested', async () => {
    const fake = fakeCard('ECC-P256');
    await expect(signChallenge(new PivCard(fake), challenge, Buffer.from('654321'))).rejects.toMatchObject({
      code: 'wrong-pin',
      triesLeft: 2,
    });
    expect(fake.instructions).not.toContain('87');
  });

  it('without a PIN on an unverified card rejects with security-status', async () => {
    await expect(signChallenge(new PivCard(fakeCard('ECC-P256')), challenge)).rejects.toMatchObject({
      code: 'security-status',
    });
  });

  it('refuses a challenge that is not exactly 32 bytes before touching the card, and still zero-fills the PIN', async () => {
    for (const length of [0, 16, 31, 33, 150, 5000]) {
      const pin = Buffer.from('123456');
      const fake = fakeCard('ECC-P256');
      await expect(signChallenge(new PivCard(fake), new Uint8Array(length), pin)).rejects.toMatchObject({
        code: 'invalid-argument',
      });
      expect(pin.every((b) => b === 0)).toBe(true);
      expect(fake.log).toEqual([]);
    }
  });

  it('a fresh kiosk nonce each time: two signatures over one challenge sign different messages', async () => {
    const card = new PivCard(fakeCard('ECC-P256'));
    const first = await signChallenge(card, challenge, Buffer.from('123456'));
    const second = await signChallenge(card, challenge);
    expect(Buffer.from(first.kioskNonce).equals(Buffer.from(second.kioskNonce))).toBe(false);
  });
});

describe('APDU budget: card inserted -> greeting -> PIN -> verified signature (target <= 13)', () => {
  const cases: Array<[KeyAlgorithm, boolean, boolean]> = [
    ['RSA-2048', false, false],
    ['RSA-2048', false, true],
    ['RSA-2048', true, false],
    ['ECC-P256', false, false],
    ['ECC-P256', true, false],
    ['ECC-P384', false, false],
  ];
  it.each(cases)('%s, extended length %s, compressed certificate %s', async (algorithm, extendedLength, compress) => {
    const fake = fakeCard(algorithm, { extendedLength, compress });
    const card = new PivCard(fake, { extendedLength });
    const identity = await readAuthenticationIdentity(card);
    expect(identity.certificate.commonName).toBe('Ada Lovelace');
    expect(identity.pin).toEqual({ reference: 'application', triesLeft: 3 });
    const result = await signChallenge(card, challenge, Buffer.from('123456'));
    expect(result.verified).toBe(true);
    console.log(
      `APDUs ${algorithm} extended=${extendedLength} compressed=${compress}: ${card.apduCount} [${fake.instructions.join(' ')}]`,
    );
    expect(card.apduCount).toBe(fake.log.length);
    // SELECT, 9A certificate (+ GET RESPONSE), discovery, counter (greeting), counter + VERIFY, signature.
    const expected = extendedLength
      ? /^a4 cb cb 20 20 20 87$/
      : algorithm === 'RSA-2048'
        ? /^a4 cb( c0)+ cb 20 20 20 87 87 c0$/
        : /^a4 cb( c0)+ cb 20 20 20 87$/;
    expect(fake.instructions.join(' ')).toMatch(expected);
    expect(card.apduCount).toBeLessThanOrEqual(13);
  });
});

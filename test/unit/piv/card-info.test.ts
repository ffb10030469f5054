import { beforeAll, describe, expect, it } from 'vitest';
import type { CardInfo } from '../../../contracts/card.ts';
import { readAuthenticationIdentity, readCardInfo } from '../../../piv/card-info.ts';
import { OBJECT_TAG } from '../../../piv/objects.ts';
import { PivCard } from '../../../piv/piv-card.ts';
import { certificateObject, chuidObject, discoveryObject, FakePivCard } from './fake-piv-card.ts';
import { hex } from './scripted-transport.ts';
import { makeCardKey, VECTOR_FASCN } from './test-pki.ts';
import type { CardKey } from './test-pki.ts';

let auth: CardKey;
let signing: CardKey;
const ATR = hex('3b 85 80 01 80 73 c0 21 c0 56');

beforeAll(async () => {
  auth = await makeCardKey('ECC-P256', { commonName: 'Ada Lovelace' });
  signing = await makeCardKey('ECC-P384', { commonName: 'Ada Lovelace (signature)' });
});

function fullCard(overrides: Map<number, Uint8Array> = new Map()): FakePivCard {
  const objects = new Map<number, Uint8Array>([
    [OBJECT_TAG.CHUID, chuidObject(hex(VECTOR_FASCN))],
    [OBJECT_TAG.DISCOVERY, discoveryObject(true)],
    [OBJECT_TAG.CERT_PIV_AUTH, certificateObject(auth.certificateDer)],
    [OBJECT_TAG.CERT_SIGNATURE, certificateObject(signing.certificateDer, true)],
  ]);
  for (const [tag, value] of overrides) objects.set(tag, value);
  return new FakePivCard({ objects, globalPin: '12345678', triesLeft: 5 });
}

describe('readCardInfo', () => {
  it('reports CHUID, certificates, discovery and PIN tries as stable JSON', async () => {
    const fake = fullCard();
    const info = await readCardInfo(new PivCard(fake), ATR);
    const json = JSON.parse(JSON.stringify(info)) as CardInfo;
    expect(json).toEqual(info);
    expect(Object.keys(json)).toEqual([
      'schemaVersion',
      'atr',
      'supportsExtendedLength',
      'application',
      'chuid',
      'discovery',
      'certificates',
      'pin',
      'problems',
    ]);
    expect(json.schemaVersion).toBe(1);
    expect(json.supportsExtendedLength).toBe(true);
    expect(json.application.label).toBe('Fake PIV');
    expect(json.chuid?.fascn).toMatchObject({
      agencyCode: '9999',
      systemCode: '9999',
      credentialNumber: '999999',
      parityOk: true,
      lrcOk: true,
    });
    expect(json.chuid?.signed).toBe(true);
    expect(json.discovery?.primaryPin).toBe('global');
    expect(json.certificates['9A']?.commonName).toBe('Ada Lovelace');
    expect(json.certificates['9C']?.curve).toBe('P-384');
    expect(json.certificates['9D']).toBeNull();
    expect(json.certificates['9E']).toBeNull();
    expect(json.pin).toEqual({ reference: 'global', triesLeft: 5 });
    expect(json.problems).toEqual([]);
    expect(fake.log.filter((a) => a.startsWith('0020'))).toEqual(['00200000']); // never a PIN
  });

  it('records unreadable objects as problems and keeps going', async () => {
    const fake = fullCard(
      new Map([
        [OBJECT_TAG.CERT_SIGNATURE, hex('5305 7003 010203')],
        [OBJECT_TAG.CHUID, hex('5303 3001ff')],
      ]),
    );
    const info = await readCardInfo(new PivCard(fake), hex('3b00'));
    expect(info.supportsExtendedLength).toBe(false);
    expect(info.certificates['9C']).toBeNull();
    expect(info.certificates['9A']).not.toBeNull();
    expect(info.chuid?.fascnError).toBe('malformed-fascn');
    expect(info.problems).toEqual([
      { object: 'certificate-9C', code: 'malformed-certificate', message: expect.any(String) as string },
    ]);
  });

  it('a card pulled mid-read rejects with a typed error, no partial report', async () => {
    const fake = fullCard();
    const card = new PivCard(fake);
    await card.select();
    fake.removed = true;
    await expect(readCardInfo(card, ATR)).rejects.toMatchObject({ code: 'transport-failure' });
  });

  it('a card without the PIV application rejects with not-found', async () => {
    const card = new PivCard({ transmit: () => Promise.resolve(hex('6a82')) });
    await expect(readCardInfo(card, ATR)).rejects.toMatchObject({ code: 'not-found' });
  });
});

describe('readAuthenticationIdentity', () => {
  it('reads only SELECT, the 9A certificate, discovery and the PIN counter', async () => {
    const fake = fullCard();
    const identity = await readAuthenticationIdentity(new PivCard(fake));
    expect(identity.certificate.commonName).toBe('Ada Lovelace');
    expect(identity.pin).toEqual({ reference: 'global', triesLeft: 5 });
    const getData = fake.log.filter((a) => a.startsWith('00cb')).map((a) => a.slice(14, -2));
    expect(getData).toEqual(['5fc105', '7e']);
    expect(fake.instructions[0]).toBe('a4');
    expect(fake.instructions.at(-1)).toBe('20');
    expect(new Set(fake.instructions)).toEqual(new Set(['a4', 'cb', 'c0', '20']));
  });

  it('skips the discovery object when the PIN reference is given', async () => {
    const fake = fullCard();
    await readAuthenticationIdentity(new PivCard(fake), { reference: 'application' });
    expect(fake.log.some((a) => a.endsWith('5c017e00'))).toBe(false);
  });

  it('no 9A certificate: not-found', async () => {
    const fake = new FakePivCard({ objects: new Map() });
    await expect(readAuthenticationIdentity(new PivCard(fake))).rejects.toMatchObject({ code: 'not-found' });
  });
});

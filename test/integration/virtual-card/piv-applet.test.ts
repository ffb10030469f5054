/**
 * The PIV applet by itself: behaviour a client relies on, and hostile APDUs that must get a status
 * word back (never an exception, never a hang).
 */
import 'reflect-metadata';
import { constants, createHash, createPublicKey, publicEncrypt, randomBytes, webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { virtualCardAtr } from '../../../virtual-card/atr.ts';
import { parseTlvs } from '../../../virtual-card/ber.ts';
import { cardKeyFromPkcs8 } from '../../../virtual-card/card-keys.ts';
import { PivApplet } from '../../../virtual-card/piv-applet.ts';
import { buildProfile } from '../../../virtual-card/profiles.ts';
import type { BuiltProfile } from '../../../virtual-card/profiles.ts';
import { createTestPki } from '../../../virtual-card/test-pki.ts';
import type { TestPki } from '../../../virtual-card/test-pki.ts';

const hex = (value: string): Uint8Array => Uint8Array.from(Buffer.from(value.replace(/\s/g, ''), 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').toUpperCase();
const sw = (response: Uint8Array): string => toHex(response.subarray(response.length - 2));
const body = (response: Uint8Array): Uint8Array => response.subarray(0, response.length - 2);

const SELECT_PIV = hex('00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00');
const GET_CHUID = (le: string) => hex(`00 CB 3F FF 05 5C 03 5F C1 02 ${le}`);
const GET_9A = hex('00 CB 3F FF 05 5C 03 5F C1 05 00');
const verifyApdu = (pin: string, p2 = '80') => {
  const block = Buffer.alloc(8, 0xff);
  block.write(pin, 'ascii');
  return hex(`00 20 00 ${p2} 08 ${block.toString('hex')}`);
};
function generalAuthenticate(p1: number, key: number, challenge: Uint8Array, cla = 0): Uint8Array {
  const inner = Buffer.concat([Buffer.of(0x82, 0x00, 0x81), encodeLength(challenge.length), challenge]);
  const template = Buffer.concat([Buffer.of(0x7c), encodeLength(inner.length), inner]);
  const lc =
    template.length > 255 ? Buffer.of(0x00, template.length >> 8, template.length & 0xff) : Buffer.of(template.length);
  const le = template.length > 255 ? Buffer.of(0x00, 0x00) : Buffer.of(0x00);
  return Uint8Array.from(Buffer.concat([Buffer.of(cla, 0x87, p1, key), lc, template, le]));
}
function encodeLength(length: number): Buffer {
  return length < 0x80
    ? Buffer.of(length)
    : length < 0x100
      ? Buffer.of(0x81, length)
      : Buffer.of(0x82, length >> 8, length & 0xff);
}
/** Follows 61xx with GET RESPONSE until 9000, like a client would. */
function transmitAll(applet: PivApplet, apdu: Uint8Array): { data: Uint8Array; sw: string; exchanges: number } {
  let response = applet.transmit(apdu);
  const parts = [body(response)];
  let exchanges = 1;
  while ((response[response.length - 2] ?? 0) === 0x61) {
    response = applet.transmit(hex(`00 C0 00 00 ${toHex(response.subarray(response.length - 1))}`));
    parts.push(body(response));
    exchanges += 1;
  }
  return { data: Uint8Array.from(Buffer.concat(parts)), sw: sw(response), exchanges };
}
/** The 82 value of a 7C { 82 … } response. */
function signatureFrom(response: Uint8Array): Uint8Array {
  const outer = parseTlvs(response);
  const inner = outer?.[0]?.tag === 0x7c ? parseTlvs(outer[0].value) : undefined;
  const value = inner?.find((item) => item.tag === 0x82)?.value;
  if (!value) throw new Error('no 82 in the response');
  return value;
}

let pki: TestPki;
let rsa: BuiltProfile;
let ecc: BuiltProfile;

beforeAll(async () => {
  pki = await createTestPki();
  [rsa, ecc] = await Promise.all([buildProfile('rsa2048', { pki }), buildProfile('p256', { pki })]);
});

function selected(profile: BuiltProfile): PivApplet {
  const applet = new PivApplet(profile.applet);
  expect(sw(applet.transmit(SELECT_PIV))).toBe('9000');
  return applet;
}

describe('SELECT', () => {
  it('answers the PIV AID (full or truncated) with the Application Property Template', () => {
    const applet = new PivApplet(rsa.applet);
    const response = applet.transmit(hex('00 A4 04 00 0B A0 00 00 03 08 00 00 10 00 01 00 00'));
    expect(sw(response)).toBe('9000');
    const apt = parseTlvs(body(response));
    expect(apt?.[0]?.tag).toBe(0x61);
    const fields = parseTlvs(apt?.[0]?.value ?? new Uint8Array());
    expect(toHex(fields?.find((f) => f.tag === 0x4f)?.value ?? new Uint8Array())).toBe('000010000100');
    expect(toHex(fields?.find((f) => f.tag === 0xac)?.value ?? new Uint8Array())).toContain('800107');
    expect(sw(applet.transmit(hex('00 A4 04 00 05 A0 00 00 03 08 00')))).toBe('9000');
  });

  it('refuses foreign applications with 6A82 and keeps commands locked until PIV is selected', () => {
    const applet = new PivApplet(rsa.applet);
    expect(sw(applet.transmit(hex('00 A4 04 00 07 62 76 01 FF 00 00 00')))).toBe('6A82');
    expect(sw(applet.transmit(hex('00 A4 04 00 04 A0 00 00 03 00')))).toBe('6A82');
    expect(sw(applet.transmit(GET_CHUID('00')))).toBe('6985');
  });
});

describe('GET DATA and response chaining', () => {
  it('answers Le=08 with 8 bytes and 61xx, and GET RESPONSE delivers the rest', () => {
    const applet = selected(rsa);
    const discovery = rsa.applet.objects.get(0x7e) ?? new Uint8Array();
    const first = applet.transmit(hex('00 CB 3F FF 03 5C 01 7E 08'));
    expect(body(first).length).toBe(8);
    expect(sw(first)).toBe(`61${(discovery.length - 8).toString(16).toUpperCase().padStart(2, '0')}`);
    const rest = applet.transmit(hex('00 C0 00 00 00'));
    expect(sw(rest)).toBe('9000');
    expect(toHex(Uint8Array.from([...body(first), ...body(rest)]))).toBe(toHex(discovery));
    // A long object after Le=08: 6100 ("256 or more") and GET RESPONSE pieces until 9000.
    const chuid = rsa.applet.objects.get(0x5fc102) ?? new Uint8Array();
    expect(chuid.length).toBeGreaterThan(264);
    const chained = transmitAll(applet, GET_CHUID('08'));
    expect(chained.sw).toBe('9000');
    expect(toHex(chained.data)).toBe(toHex(chuid));
  });

  it('a later command cancels a pending response', () => {
    const applet = selected(rsa);
    applet.transmit(GET_CHUID('08'));
    expect(sw(applet.transmit(hex('00 CB 3F FF 03 5C 01 7E 00')))).toBe('9000');
    expect(sw(applet.transmit(hex('00 C0 00 00 00')))).toBe('6985');
  });

  it('returns a certificate object in 256-byte pieces, or in one piece with extended Le', () => {
    const applet = selected(rsa);
    const whole = rsa.applet.objects.get(0x5fc105) ?? new Uint8Array();
    const chained = transmitAll(applet, GET_9A);
    expect(chained.sw).toBe('9000');
    expect(chained.exchanges).toBe(Math.ceil(whole.length / 256));
    expect(toHex(chained.data)).toBe(toHex(whole));
    const extended = applet.transmit(hex('00 CB 3F FF 00 00 05 5C 03 5F C1 05 00 00'));
    expect(sw(extended)).toBe('9000');
    expect(toHex(body(extended))).toBe(toHex(whole));
  });

  it('says 6A82 for absent objects, 6A86 for bad P1/P2, 6A80 for a malformed tag list', () => {
    const applet = selected(rsa);
    expect(sw(applet.transmit(hex('00 CB 3F FF 05 5C 03 5F C1 03 00')))).toBe('6A82');
    expect(sw(applet.transmit(hex('00 CB 3F 00 05 5C 03 5F C1 02 00')))).toBe('6A86');
    expect(sw(applet.transmit(hex('00 CB 3F FF 05 5D 03 5F C1 02 00')))).toBe('6A80');
    expect(sw(applet.transmit(hex('00 CB 3F FF 05 5C 04 5F C1 02 00')))).toBe('6A80');
    expect(sw(applet.transmit(hex('00 CB 3F FF 02 5C 00 00')))).toBe('6A80');
  });
});

describe('VERIFY', () => {
  it('counts down on wrong PINs, blocks at zero, and resets the counter on success', () => {
    const applet = selected(rsa);
    expect(sw(applet.transmit(hex('00 20 00 80')))).toBe('63C3');
    expect(sw(applet.transmit(verifyApdu('000000')))).toBe('63C2');
    expect(sw(applet.transmit(verifyApdu('123456')))).toBe('9000');
    expect(sw(applet.transmit(hex('00 20 00 80')))).toBe('9000');
    expect(applet.pinRetriesLeft(0x80)).toBe(3);
    for (const expected of ['63C2', '63C1', '63C0']) expect(sw(applet.transmit(verifyApdu('654321')))).toBe(expected);
    expect(sw(applet.transmit(verifyApdu('123456')))).toBe('6983');
    expect(sw(applet.transmit(hex('00 20 00 80')))).toBe('6983');
  });

  it('rejects malformed PIN blocks with 6A80 without costing a try', () => {
    const applet = selected(rsa);
    expect(sw(applet.transmit(hex('00 20 00 80 06 31 32 33 34 35 36')))).toBe('6A80');
    expect(sw(applet.transmit(hex('00 20 00 80 08 31 32 33 34 35 FF FF FF')))).toBe('6A80');
    expect(sw(applet.transmit(hex('00 20 00 80 08 31 32 33 34 35 36 FF 37')))).toBe('6A80');
    expect(sw(applet.transmit(hex('00 20 00 80 08 41 42 43 44 45 46 FF FF')))).toBe('6A80');
    expect(applet.pinRetriesLeft(0x80)).toBe(3);
    expect(sw(applet.transmit(verifyApdu('123456', '00')))).toBe('6A88');
  });

  it('logs out with P1=FF', () => {
    const applet = selected(rsa);
    applet.transmit(verifyApdu('123456'));
    expect(sw(applet.transmit(hex('00 20 FF 80')))).toBe('9000');
    expect(sw(applet.transmit(hex('00 20 00 80')))).toBe('63C3');
  });
});

describe('GENERAL AUTHENTICATE', () => {
  it('needs the PIN for 9A, then signs a P-256 hash that WebCrypto verifies', async () => {
    const applet = selected(ecc);
    const message = new TextEncoder().encode('issuer challenge');
    const hash = createHash('sha256').update(message).digest();
    expect(sw(applet.transmit(generalAuthenticate(0x11, 0x9a, hash)))).toBe('6982');
    applet.transmit(verifyApdu('123456'));
    const response = applet.transmit(generalAuthenticate(0x11, 0x9a, hash));
    expect(sw(response)).toBe('9000');
    const der = signatureFrom(body(response));
    const verified = webcrypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      ecc.identity.pivAuth.keys.publicKey,
      derToP1363(der, 32),
      message,
    );
    expect(await verified).toBe(true);
  });

  it('does the raw RSA private-key operation on a 256-byte block', () => {
    const applet = selected(rsa);
    applet.transmit(verifyApdu('123456'));
    const block = Buffer.concat([Buffer.of(0x00, 0x01), Buffer.alloc(200, 0xff), Buffer.of(0x00), randomBytes(53)]);
    const result = transmitAll(applet, generalAuthenticate(0x07, 0x9a, block));
    expect(result.sw).toBe('9000');
    const signature = signatureFrom(result.data);
    const publicKey = createPublicKey({
      key: Buffer.from(rsa.identity.pivAuth.certificate.publicKey.rawData),
      format: 'der',
      type: 'spki',
    });
    expect(publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature).equals(block)).toBe(true);
  });

  it('refuses wrong algorithm, absent key, bad template, wrong block size, block over the modulus', () => {
    const applet = selected(rsa);
    applet.transmit(verifyApdu('123456'));
    const block = Buffer.alloc(256, 0x01);
    expect(sw(applet.transmit(generalAuthenticate(0x11, 0x9a, block)))).toBe('6A86');
    expect(sw(applet.transmit(generalAuthenticate(0x07, 0x9d, block)))).toBe('6A86');
    expect(sw(applet.transmit(generalAuthenticate(0x07, 0x9a, Buffer.alloc(255, 0x01))))).toBe('6A80');
    expect(sw(applet.transmit(generalAuthenticate(0x07, 0x9a, Buffer.alloc(256, 0xff))))).toBe('6A80');
    expect(sw(applet.transmit(hex('00 87 07 9A 04 7C 02 81 00 00')))).toBe('6A80');
    expect(sw(applet.transmit(hex('00 87 07 9A 06 7C 04 82 00 81 05 00')))).toBe('6A80');
  });

  it('9C (digital signature) needs the PIN again for every use', () => {
    const eccKey = ecc.applet.keys.get(0x9a);
    if (!eccKey) throw new Error('profile without 9A');
    const applet = new PivApplet({ ...rsa.applet, keys: new Map([...rsa.applet.keys, [0x9c, eccKey]]) });
    applet.transmit(SELECT_PIV);
    applet.transmit(verifyApdu('123456'));
    const hash = randomBytes(32);
    expect(sw(applet.transmit(generalAuthenticate(0x11, 0x9c, hash)))).toBe('9000');
    expect(sw(applet.transmit(generalAuthenticate(0x11, 0x9c, hash)))).toBe('6982');
    expect(sw(applet.transmit(hex('00 20 00 80')))).toBe('63C3');
    applet.transmit(verifyApdu('123456'));
    expect(sw(applet.transmit(generalAuthenticate(0x11, 0x9c, hash)))).toBe('9000');
  });

  it('9E (card authentication) signs without a PIN', () => {
    const applet = selected(rsa);
    const response = applet.transmit(generalAuthenticate(0x11, 0x9e, randomBytes(32)));
    expect(sw(response)).toBe('9000');
  });

  it('accepts the command split by command chaining, and drops a chain broken by another command', () => {
    const applet = selected(rsa);
    applet.transmit(verifyApdu('123456'));
    const whole = generalAuthenticate(0x07, 0x9a, Buffer.concat([Buffer.of(0, 1), Buffer.alloc(254, 0x55)]));
    const data = whole.subarray(7, whole.length - 2); // extended encoding: 4 header + 3 Lc … 2 Le
    const first = Uint8Array.from([0x10, 0x87, 0x07, 0x9a, 200, ...data.subarray(0, 200)]);
    const last = Uint8Array.from([0x00, 0x87, 0x07, 0x9a, data.length - 200, ...data.subarray(200), 0x00]);
    expect(sw(applet.transmit(first))).toBe('9000');
    const result = transmitAll(applet, last);
    expect(result.sw).toBe('9000');
    expect(signatureFrom(result.data).length).toBe(256);
    expect(sw(applet.transmit(first))).toBe('9000');
    expect(sw(applet.transmit(GET_CHUID('00')))).toBe('6883');
  });
});

describe('hostile APDUs', () => {
  it('answers malformed framing with 6700, wrong CLA with 6E00, unknown INS with 6D00', () => {
    const applet = selected(rsa);
    expect(sw(applet.transmit(hex('00 CB 3F')))).toBe('6700');
    expect(sw(applet.transmit(new Uint8Array(0)))).toBe('6700');
    expect(sw(applet.transmit(hex('00 CB 3F FF 0A 5C 03 5F')))).toBe('6700'); // Lc says 10, 3 bytes follow
    expect(sw(applet.transmit(hex('00 CB 3F FF 00 FF FF 5C 03 5F C1 02')))).toBe('6700'); // extended Lc 65535, 5 bytes
    expect(sw(applet.transmit(hex('00 CB 3F FF 00 00 00 00')))).toBe('6700'); // extended Lc 0
    expect(sw(applet.transmit(hex('80 CB 3F FF 05 5C 03 5F C1 02 00')))).toBe('6E00');
    expect(sw(applet.transmit(hex('00 E2 00 00')))).toBe('6D00');
    expect(sw(applet.transmit(hex('00 C0 00 00 00')))).toBe('6985');
  });

  it('refuses a command chain longer than 16 KiB', () => {
    const applet = selected(rsa);
    const piece = Uint8Array.from([0x10, 0xdb, 0x3f, 0xff, 0x00, 0x10, 0x00, ...new Uint8Array(4096)]);
    const statuses = Array.from({ length: 5 }, () => sw(applet.transmit(piece)));
    expect(statuses).toEqual(['9000', '9000', '9000', '9000', '6700']);
  });

  it('survives 20 000 random APDUs with a status word every time', () => {
    const applet = selected(rsa);
    applet.transmit(verifyApdu('123456'));
    const interesting = [0xa4, 0xcb, 0x20, 0x87, 0xc0, 0xfd, 0xf8];
    for (let i = 0; i < 20_000; i += 1) {
      const length = i % 7 === 0 ? 4 + (randomBytes(2).readUInt16BE(0) % 600) : 4 + ((randomBytes(1)[0] ?? 0) % 40);
      const apdu = randomBytes(length);
      apdu[0] = i % 3 === 0 ? 0x10 : 0x00;
      apdu[1] = interesting[i % interesting.length] ?? 0;
      const response = applet.transmit(apdu);
      expect(response.length).toBeGreaterThanOrEqual(2);
      const status = response[response.length - 2] ?? 0;
      expect([0x90, 0x61, 0x63, 0x67, 0x69, 0x6a, 0x68, 0x6d, 0x6e]).toContain(status);
    }
    expect(applet.apduCount).toBe(20_002);
  });
});

describe('card keys, ATR, BER', () => {
  it('ECDSA on a P-384 hash verifies, and on a longer hash uses the leftmost bits', async () => {
    const key = await pki.issueCardCertificate({ keyAlgorithm: 'P-384', commonName: 'p384' });
    const cardKey = cardKeyFromPkcs8(key.privateKeyPkcs8, 'P-384');
    const message = new TextEncoder().encode('m');
    const hash = createHash('sha384').update(message).digest();
    const result = cardKey.operate(hash);
    if (!result.ok) throw new Error('P-384 sign failed');
    const verified = await webcrypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-384' },
      key.keys.publicKey,
      derToP1363(result.value, 48),
      message,
    );
    expect(verified).toBe(true);
    expect(cardKey.operate(new Uint8Array(0)).ok).toBe(false);
    expect(cardKey.operate(new Uint8Array(65)).ok).toBe(false);
  });

  it('the ATR has a correct TCK and advertises extended length in its card capabilities', () => {
    const atr = virtualCardAtr();
    expect(atr.subarray(1).reduce((acc, b) => acc ^ b, 0)).toBe(0);
    expect(toHex(atr)).toContain('7380');
    expect((atr[atr.indexOf(0x73) + 3] ?? 0) & 0x40).toBe(0x40);
  });

  it('parseTlvs refuses truncated and oversized encodings', () => {
    expect(parseTlvs(hex('53 05 01 02'))).toBeUndefined();
    expect(parseTlvs(hex('5F'))).toBeUndefined();
    expect(parseTlvs(hex('53 84 00 00 00 01 00'))).toBeUndefined();
    expect(parseTlvs(hex('53 80'))).toBeUndefined();
    expect(parseTlvs(hex('5F FF FF FF 01 00'))).toBeUndefined();
    expect(parseTlvs(hex('53 81 02 AA BB'))?.[0]?.value.length).toBe(2);
  });
});

/** DER SEQUENCE { r, s } → r || s, each `size` bytes (WebCrypto's ECDSA format). */
function derToP1363(der: Uint8Array, size: number): Uint8Array {
  const sequence = parseTlvs(der)?.[0];
  const integers = parseTlvs(sequence?.value ?? new Uint8Array()) ?? [];
  const fixed = integers.map((integer) => {
    const trimmed = integer.value.subarray(Math.max(0, integer.value.length - size));
    const out = new Uint8Array(size);
    out.set(trimmed, size - trimmed.length);
    return out;
  });
  return Uint8Array.from([...(fixed[0] ?? []), ...(fixed[1] ?? [])]);
}

describe('PIN management', () => {
  const block = (value: string, pad = 0xff) => {
    const out = Buffer.alloc(8, pad);
    out.write(value, 'ascii');
    return out.toString('hex');
  };

  it('CHANGE REFERENCE DATA changes the PIN when the old one is right, and costs a try when not', () => {
    const applet = selected(rsa);
    expect(sw(applet.transmit(hex(`00 24 00 80 10 ${block('000000')} ${block('654321')}`)))).toBe('63C2');
    expect(sw(applet.transmit(hex(`00 24 00 80 10 ${block('123456')} ${block('65')}`)))).toBe('6A80');
    expect(sw(applet.transmit(hex(`00 24 00 80 10 ${block('123456')} ${block('654321')}`)))).toBe('9000');
    expect(sw(applet.transmit(verifyApdu('123456')))).toBe('63C2');
    expect(sw(applet.transmit(verifyApdu('654321')))).toBe('9000');
  });

  it('RESET RETRY COUNTER unblocks the PIN with the PUK; a wrong PUK costs a PUK try; VERIFY refuses the PUK', () => {
    const applet = new PivApplet(rsa.applet);
    applet.transmit(SELECT_PIV);
    for (let i = 0; i < 3; i += 1) applet.transmit(verifyApdu('000000'));
    expect(sw(applet.transmit(hex('00 20 00 80')))).toBe('6983');
    expect(sw(applet.transmit(hex(`00 2C 00 80 10 ${block('87654321')} ${block('111111')}`)))).toBe('63C2');
    expect(sw(applet.transmit(hex(`00 2C 00 00 10 ${block('12345678')} ${block('111111')}`)))).toBe('6A86');
    expect(sw(applet.transmit(hex(`00 2C 00 80 10 ${block('12345678')} ${block('11')}`)))).toBe('6A80');
    expect(sw(applet.transmit(hex(`00 2C 00 80 10 ${block('12345678')} ${block('111111')}`)))).toBe('9000');
    expect(sw(applet.transmit(hex('00 20 00 80')))).toBe('63C3');
    // The PUK never satisfies the PIN's security status.
    expect(sw(applet.transmit(hex(`00 20 00 81 08 ${block('12345678')}`)))).toBe('6A88');
    expect(sw(applet.transmit(generalAuthenticate(0x07, 0x9a, Buffer.alloc(256, 1))))).toBe('6982');
    expect(sw(applet.transmit(verifyApdu('111111')))).toBe('9000');
  });
});

import { describe, expect, it } from 'vitest';
import { PivError } from '../../../piv/errors.ts';
import { PivCard } from '../../../piv/piv-card.ts';
import { signingInput } from '../../../piv/signing-input.ts';
import { hex, ScriptedTransport, toHex } from './scripted-transport.ts';

const SELECT = '00a404000ba000000308000010000100 00';
const APT_OK = '611a 4f06000010000100 7909 4f07a0000003080000 5005 50495631 31 9000'.replace(
  '50495631 31',
  '5049563131',
);
const FASCN = 'd4e739da739ced39ce739d836858210842108421c84210c3eb';

async function rejection(promise: Promise<unknown>): Promise<PivError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PivError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function card(steps: ConstructorParameters<typeof ScriptedTransport>[0]): { t: ScriptedTransport; piv: PivCard } {
  const t = new ScriptedTransport(steps);
  return { t, piv: new PivCard(t) };
}

describe('SELECT', () => {
  it('sends the PIV AID and parses the Application Property Template', async () => {
    const { t, piv } = card([
      { expect: SELECT, respond: '611a 4f06000010000100 5008 4649505320323031 ac06 800107 800111 9000' },
    ]);
    const app = await piv.select();
    t.assertDone();
    expect(app).toEqual({ aid: '000010000100', label: 'FIPS 201', url: null, algorithms: [7, 0x11] });
  });
  it('maps 6A82 to not-found (no PIV application)', async () => {
    const { piv } = card([{ expect: SELECT, respond: '6a82' }]);
    expect((await rejection(piv.select())).code).toBe('not-found');
  });
  it('accepts an empty 9000 answer and rejects a garbage template', async () => {
    expect((await card([{ expect: SELECT, respond: '9000' }]).piv.select()).aid).toBe('a000000308000010000100');
    expect((await rejection(card([{ expect: SELECT, respond: '6205 4f 9000' }]).piv.select())).code).toBe(
      'malformed-tlv',
    );
    expect((await rejection(card([{ expect: SELECT, respond: '7e00 9000' }]).piv.select())).code).toBe(
      'malformed-object',
    );
  });
  it('is sent once per PivCard', async () => {
    const { t, piv } = card([
      { expect: SELECT, respond: APT_OK },
      { expect: '00cb3fff 03 5c017e 00', respond: '6a82' },
      { expect: '00200080', respond: '63c3' },
    ]);
    await rejection(piv.readDiscovery());
    expect(await piv.pinStatus('application')).toBe(3);
    t.assertDone();
  });
});

describe('GET DATA', () => {
  it('reads the CHUID with the FASC-N vector', async () => {
    const chuid = `5341 3019${FASCN} 3410 0123456789abcdef0123456789abcdef 3508 3230333031323331 3e00 fe00`;
    const { t, piv } = card([
      { expect: SELECT, respond: '9000' },
      { expect: '00cb3fff 05 5c035fc102 00', respond: `${chuid.replace('5341', '533b')} 9000` },
    ]);
    const info = await piv.readChuid();
    t.assertDone();
    expect(info.fascn).toMatchObject({
      agencyCode: '9999',
      systemCode: '9999',
      credentialNumber: '999999',
      parityOk: true,
      lrcOk: true,
    });
    expect(info.guid).toBe('01234567-89ab-cdef-0123-456789abcdef');
    expect(info.expirationDate).toBe('2030-12-31');
    expect(info.signed).toBe(false);
  });

  it('reads a certificate through 61xx chaining and stops at the next object', async () => {
    const der = new Uint8Array(300).fill(0x30);
    const object = `53820135 7082012c${toHex(der)} 710100 fe00`;
    const bytes = hex(object);
    const { t, piv } = card([
      { expect: SELECT, respond: '9000' },
      { expect: '00cb3fff 05 5c035fc105 00', respond: `${toHex(bytes.subarray(0, 256))}6141` },
      { expect: '00c0000041', respond: `${toHex(bytes.subarray(256))}9000` },
    ]);
    const cert = await piv.readCertificate('9A');
    t.assertDone();
    expect(cert.compressed).toBe(false);
    expect(cert.der).toEqual(der);
  });

  it('uses one extended APDU when the ATR announces extended length', async () => {
    const t = new ScriptedTransport([
      { expect: SELECT, respond: '9000' },
      { expect: '00cb3fff 000005 5c035fc10a 0000', respond: '5300 9000' },
    ]);
    const piv = new PivCard(t, { atr: hex('3b 85 80 01 80 73 c0 21 c0 56') });
    expect(piv.extendedLength).toBe(true);
    expect((await rejection(piv.readCertificate('9C'))).code).toBe('not-found');
    t.assertDone();
  });

  it.each([
    ['6a82', 'not-found'],
    ['6982', 'security-status'],
    ['6a80', 'incorrect-data'],
    ['6d00', 'instruction-not-supported'],
    ['6e00', 'class-not-supported'],
    ['6700', 'wrong-length'],
    ['6a86', 'incorrect-parameters'],
    ['53', 'malformed-response'],
    ['5305 0102 9000', 'malformed-tlv'],
    ['7f61 00 9000', 'malformed-object'],
    ['53 03 7003 0102 9000', 'malformed-tlv'],
  ])('card answering %s to GET DATA 9E rejects with %s', async (answer, code) => {
    const { piv } = card([
      { expect: SELECT, respond: '9000' },
      { expect: '00cb3fff 05 5c035fc101 00', respond: answer },
    ]);
    expect((await rejection(piv.readCertificate('9E'))).code).toBe(code);
  });
});

describe('PIN status and VERIFY', () => {
  it('empty VERIFY: 63Cx tries, 9000 verified, 6983 blocked', async () => {
    const { t, piv } = card([
      { expect: SELECT, respond: '9000' },
      { expect: '00200080', respond: '63c5' },
      { expect: '00200000', respond: '9000' },
      { expect: '00200080', respond: '6983' },
      { expect: '00200080', respond: '63c0' },
      { expect: '00200080', respond: '6a88' },
    ]);
    expect(await piv.pinStatus('application')).toBe(5);
    expect(await piv.pinStatus(0x00)).toBe('verified');
    expect(await piv.pinStatus(0x80)).toBe('blocked');
    expect(await piv.pinStatus(0x80)).toBe('blocked');
    expect((await rejection(piv.pinStatus(0x80))).code).toBe('reference-not-found');
    t.assertDone();
  });

  it('pads the PIN with FF to 8 bytes and zero-fills the sent command buffer', async () => {
    const { t, piv } = card([
      { expect: SELECT, respond: '9000' },
      { expect: '00200080 08 313233343536ffff', respond: '9000' },
      { expect: '00200000 08 3132333435363738', respond: '9000' },
    ]);
    const pin = Buffer.from('123456');
    await piv.verifyPin(pin, 'application');
    await piv.verifyPin(Buffer.from('12345678'), 'global');
    t.assertDone();
    expect(t.sentHex[1]).toBe('0020008008313233343536ffff');
    for (const buffer of t.sentBuffers.slice(1)) expect([...buffer].every((b) => b === 0)).toBe(true);
    expect(pin.toString()).toBe('123456'); // verifyPin does not own the caller's buffer
  });

  it('wrong PIN 63C2 rejects with wrong-pin and triesLeft 2, without the PIN in the message', async () => {
    const { piv } = card([
      { expect: SELECT, respond: '9000' },
      { expect: '00200080 08 393837363534ffff', respond: '63c2' },
    ]);
    const error = await rejection(piv.verifyPin(Buffer.from('987654'), 'application'));
    expect(error.code).toBe('wrong-pin');
    expect(error.triesLeft).toBe(2);
    expect(error.message).not.toMatch(/987654|393837/);
    expect(JSON.stringify(error)).not.toMatch(/987654|393837/);
  });

  it('6983 and 63C0 reject with pin-blocked; 6A80 with incorrect-data', async () => {
    const { piv } = card([
      { expect: SELECT, respond: '9000' },
      { expect: '00200080 08 313233343536ffff', respond: '6983' },
      { expect: '00200080 08 313233343536ffff', respond: '63c0' },
      { expect: '00200080 08 313233343536ffff', respond: '6a80' },
    ]);
    expect((await rejection(piv.verifyPin(Buffer.from('123456'), 'application'))).code).toBe('pin-blocked');
    expect((await rejection(piv.verifyPin(Buffer.from('123456'), 'application'))).code).toBe('pin-blocked');
    expect((await rejection(piv.verifyPin(Buffer.from('123456'), 'application'))).code).toBe('incorrect-data');
  });

  it.each(['12345', '123456789', '12345a', '', '１２３４５６', '12 3456', '123456\n'])(
    'PIN %j is rejected with pin-format before any APDU',
    async (text) => {
      const { t, piv } = card([]);
      const error = await rejection(piv.verifyPin(Buffer.from(text), 'application'));
      expect(error.code).toBe('pin-format');
      expect(t.sentHex).toEqual([]);
      if (text.length > 0) expect(error.message).not.toContain(text);
    },
  );
});

describe('GENERAL AUTHENTICATE', () => {
  const message = Buffer.from('challenge');

  it('P-256: hashes with SHA-256 and returns the DER signature from 7C/82', async () => {
    const digest = toHex(signingInput('ECC-P256', message));
    const der = '3006020101020102';
    const { t, piv } = card([
      { expect: SELECT, respond: '9000' },
      { expect: `0087119a 26 7c24 8200 8120${digest} 00`, respond: `7c0a 8208${der} 9000` },
    ]);
    expect(toHex(await piv.sign('9A', 'ECC-P256', message))).toBe(der);
    t.assertDone();
  });

  it('P-384 uses algorithm 14 and SHA-384', async () => {
    const digest = toHex(signingInput('ECC-P384', message));
    const { t, piv } = card([
      { expect: SELECT, respond: '9000' },
      { expect: `0087149c 36 7c34 8200 8130${digest} 00`, respond: '7c0a 82083006020101020102 9000' },
    ]);
    await piv.sign('9C', 'ECC-P384', message);
    t.assertDone();
  });

  it('RSA-2048: PKCS#1 v1.5 block, command chaining out, response chaining in', async () => {
    const block = signingInput('RSA-2048', message);
    expect(toHex(block.subarray(0, 2))).toBe('0001');
    expect(toHex(block.subarray(203, 224))).toBe('ff003031300d060960864801650304020105000420');
    const data = hex(`7c820106 8200 81820100${toHex(block)}`);
    const signature = 'ab'.repeat(256);
    const answer = hex(`7c820104 82820100${signature}`);
    const { t, piv } = card([
      { expect: SELECT, respond: '9000' },
      { expect: `1087079a ff ${toHex(data.subarray(0, 255))}`, respond: '9000' },
      { expect: `0087079a 0b ${toHex(data.subarray(255))} 00`, respond: `${toHex(answer.subarray(0, 256))}6108` },
      { expect: '00c0000008', respond: `${toHex(answer.subarray(256))}9000` },
    ]);
    expect(toHex(await piv.sign('9A', 'RSA-2048', message))).toBe(signature);
    t.assertDone();
  });

  it('maps 6982 (PIN not verified) to security-status and rejects malformed answers', async () => {
    const digest = toHex(signingInput('ECC-P256', message));
    const cmd = `0087119a 26 7c24 8200 8120${digest} 00`;
    const cases: Array<[string, string]> = [
      ['6982', 'security-status'],
      ['6a88', 'reference-not-found'],
      ['7c00 9000', 'malformed-response'],
      ['7c0482020102 9000', 'malformed-tlv'],
      ['7c04 82020102 9000', 'malformed-tlv'],
      ['7c03 820101 9000', 'malformed-tlv'],
      ['7c05 8203020100 9000', 'malformed-response'],
    ];
    for (const [answer, code] of cases) {
      const { piv } = card([
        { expect: SELECT, respond: '9000' },
        { expect: cmd, respond: answer },
      ]);
      expect(`${answer} -> ${(await rejection(piv.sign('9A', 'ECC-P256', message))).code}`).toBe(
        `${answer} -> ${code}`,
      );
    }
  });
});

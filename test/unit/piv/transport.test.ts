import { describe, expect, it } from 'vitest';
import { PivError } from '../../../piv/errors.ts';
import { ApduChannel } from '../../../piv/transport.ts';
import { supportsExtendedLength, historicalBytes } from '../../../piv/atr.ts';
import { FunctionTransport, hex, randomBytes, ScriptedTransport, seededRandom, toHex } from './scripted-transport.ts';

const getData = { cla: 0, ins: 0xcb, p1: 0x3f, p2: 0xff, data: hex('5c035fc105'), le: 65536 };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PivError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('response chaining (61xx)', () => {
  it('assembles odd-sized chunks via GET RESPONSE with the announced Le', async () => {
    const t = new ScriptedTransport([
      { expect: '00cb3fff055c035fc10500', respond: `${'aa'.repeat(256)}6101` },
      { expect: '00c0000001', respond: 'bb 6103' },
      { expect: '00c0000003', respond: 'cccccc 9000' },
    ]);
    const r = await new ApduChannel(t).send(getData);
    t.assertDone();
    expect(r.sw).toBe(0x9000);
    expect(r.data.length).toBe(260);
    expect(toHex(r.data.subarray(255))).toBe('aabbcccccc');
  });

  it('6100 means 256 more bytes', async () => {
    const t = new ScriptedTransport([
      { expect: '00cb3fff055c035fc10500', respond: '6100' },
      { expect: '00c0000000', respond: `${'01'.repeat(256)}9000` },
    ]);
    const r = await new ApduChannel(t).send(getData);
    t.assertDone();
    expect(r.data.length).toBe(256);
  });

  it('caps the total response size', async () => {
    const endless = new FunctionTransport(() => hex(`${'00'.repeat(256)}6100`));
    const channel = new ApduChannel(endless, { maxResponseBytes: 4096 });
    expect(await codeOf(channel.send(getData))).toBe('response-too-large');
    expect(endless.count).toBeLessThanOrEqual(18);
  });

  it('refuses 61xx with no data forever', async () => {
    const t = new FunctionTransport((_c, i) => (i === 0 ? hex('6110') : hex('6110')));
    expect(await codeOf(new ApduChannel(t).send(getData))).toBe('malformed-response');
  });

  it('returns the final error status of a chain to the caller', async () => {
    const t = new ScriptedTransport([
      { expect: '00cb3fff055c035fc10500', respond: 'aa 6102' },
      { expect: '00c0000002', respond: '6f00' },
    ]);
    const r = await new ApduChannel(t).send(getData);
    expect(r.sw).toBe(0x6f00);
  });
});

describe('6Cxx wrong Le', () => {
  it('re-sends once with the card-given Le', async () => {
    const t = new ScriptedTransport([
      { expect: '00cb3fff055c035fc10500', respond: '6c08' },
      { expect: '00cb3fff055c035fc10508', respond: '0102030405060708 9000' },
    ]);
    const r = await new ApduChannel(t).send(getData);
    t.assertDone();
    expect(toHex(r.data)).toBe('0102030405060708');
  });

  it('does not loop on repeated 6Cxx', async () => {
    const t = new FunctionTransport(() => hex('6c08'));
    const r = await new ApduChannel(t).send(getData);
    expect(r.sw).toBe(0x6c08);
    expect(t.count).toBe(2);
  });
});

describe('command chaining (CLA 0x10) and extended length', () => {
  const data = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
  const command = { cla: 0, ins: 0x87, p1: 0x07, p2: 0x9a, data, le: 65536 };

  it('splits data > 255 bytes into 255-byte links without extended length', async () => {
    const t = new ScriptedTransport([
      { expect: '1087079aff' + toHex(data.subarray(0, 255)), respond: '9000' },
      { expect: '1087079aff' + toHex(data.subarray(255, 510)), respond: '9000' },
      { expect: '0087079a5a' + toHex(data.subarray(510)) + '00', respond: 'abcd 9000' },
    ]);
    const r = await new ApduChannel(t).send(command);
    t.assertDone();
    expect(toHex(r.data)).toBe('abcd');
  });

  it('stops the chain at the first refusal', async () => {
    const t = new ScriptedTransport([{ expect: '1087079aff' + toHex(data.subarray(0, 255)), respond: '6884' }]);
    const r = await new ApduChannel(t).send(command);
    t.assertDone();
    expect(r.sw).toBe(0x6884);
  });

  it('sends one extended APDU when the card supports it', async () => {
    const t = new ScriptedTransport([
      { expect: '0087079a000258' + toHex(data) + '0000', respond: `${'11'.repeat(1000)}9000` },
    ]);
    const channel = new ApduChannel(t, { extendedLength: true });
    const r = await channel.send(command);
    t.assertDone();
    expect(r.data.length).toBe(1000);
    expect(channel.apduCount).toBe(1);
  });

  it('zero-fills encoded sensitive commands after transmit', async () => {
    const t = new ScriptedTransport([{ expect: '0020008008313233343536ffff', respond: '9000' }]);
    await new ApduChannel(t).send({
      cla: 0,
      ins: 0x20,
      p1: 0,
      p2: 0x80,
      data: hex('313233343536ffff'),
      sensitive: true,
    });
    t.assertDone();
    expect(t.sentBuffers[0]?.every((b) => b === 0)).toBe(true);
  });
});

describe('transport failures', () => {
  it('passes card-removed through and wraps other errors', async () => {
    const removed = new ScriptedTransport([
      { expect: '00cb3fff055c035fc10500', respond: new PivError('card-removed', 'gone') },
    ]);
    expect(await codeOf(new ApduChannel(removed).send(getData))).toBe('card-removed');
    const broken = new ScriptedTransport([{ expect: '00cb3fff055c035fc10500', respond: new Error('SCARD_E_COMM') }]);
    expect(await codeOf(new ApduChannel(broken).send(getData))).toBe('transport-failure');
  });
  it('maps a foreign error with code card-removed (native/pcsc SmartCardError) to card-removed', async () => {
    const foreign = Object.assign(new Error('The smart card has been removed'), { code: 'card-removed' });
    const t = new ScriptedTransport([{ expect: '0020008008313233343536ffff', respond: foreign }]);
    const error = await new ApduChannel(t)
      .send({ cla: 0, ins: 0x20, p1: 0, p2: 0x80, data: hex('313233343536ffff'), sensitive: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'card-removed' });
  });
  it('drops the cause of a failed PIN command (its text could quote the APDU)', async () => {
    const t = new ScriptedTransport([
      { expect: '0020008008313233343536ffff', respond: new Error('failed sending 0020008008313233343536ffff') },
    ]);
    const error = await new ApduChannel(t)
      .send({ cla: 0, ins: 0x20, p1: 0, p2: 0x80, data: hex('313233343536ffff'), sensitive: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PivError);
    expect((error as PivError).cause).toBeUndefined();
    expect(String((error as PivError).message)).not.toContain('313233');
  });
  it('rejects a single oversized response', async () => {
    const t = new FunctionTransport(() => new Uint8Array(5000).fill(0x90));
    expect(await codeOf(new ApduChannel(t, { maxResponseBytes: 4096 }).send(getData))).toBe('response-too-large');
  });
  it('rejects a response without status word', async () => {
    const t = new ScriptedTransport([{ expect: '00cb3fff055c035fc10500', respond: '90' }]);
    expect(await codeOf(new ApduChannel(t).send(getData))).toBe('malformed-response');
  });
});

describe('supportsExtendedLength(atr)', () => {
  it('reads the third software function table of card capabilities', () => {
    // T=1 ATR, historical bytes 80 73 C0 21 C0 (category 80, card capabilities with b7 of byte 3 set)
    const atr = hex('3b 85 80 01 80 73 c0 21 c0 56');
    expect(toHex(historicalBytes(atr) ?? new Uint8Array())).toBe('8073c021c0');
    expect(supportsExtendedLength(atr)).toBe(true);
    expect(supportsExtendedLength(hex('3b 85 80 01 80 73 c0 21 80 16'))).toBe(false);
  });
  it('handles category 00 with trailing status bytes', () => {
    expect(supportsExtendedLength(hex('3b 88 80 01 00 73 c0 21 c0 00 90 00 00'))).toBe(true);
  });
  it('reads the YubiKey 5 ATR (T=1, 13 historical bytes) as supporting extended length', () => {
    expect(supportsExtendedLength(hex('3bfd1300008131fe158073c021c057597562694b657940'))).toBe(true);
  });
  it('never throws on random ATRs', () => {
    const next = seededRandom(5);
    for (let i = 0; i < 5000; i += 1) {
      const atr = Uint8Array.from([0x3b, ...randomBytes(next, next(33))]);
      expect(typeof supportsExtendedLength(atr)).toBe('boolean');
    }
  });
  it('says no for the YubiKey 4 ATR without capabilities and for garbage', () => {
    expect(supportsExtendedLength(hex('3bf81300008131fe15597562696b657934d4'))).toBe(false);
    expect(supportsExtendedLength(new Uint8Array())).toBe(false);
    expect(supportsExtendedLength(hex('3b ff'))).toBe(false);
    expect(supportsExtendedLength(hex('3b 8f 80 01 80 7f'))).toBe(false);
  });
});

/**
 * A card answering garbage, truncated or oversized data to every command: every PivCard
 * operation must settle with a PivError (or a result), never an untyped exception or a hang.
 */
import { describe, expect, it } from 'vitest';
import { PivError } from '../../../piv/errors.ts';
import { PivCard } from '../../../piv/piv-card.ts';
import { verifyPinSafely } from '../../../piv/pin-policy.ts';
import { FunctionTransport, hex, randomBytes, seededRandom } from './scripted-transport.ts';

const STATUS_WORDS = ['9000', '6100', '6110', '6c08', '63c2', '6983', '6982', '6a82', '6a80', '6700', '9001'];

function garbageCard(seed: number): PivCard {
  const next = seededRandom(seed);
  const transport = new FunctionTransport(() => {
    const shape = next(6);
    if (shape === 0) return randomBytes(next, next(3)); // shorter than a status word
    if (shape === 1)
      return Uint8Array.from([
        ...randomBytes(next, next(300)),
        ...hex(STATUS_WORDS[next(STATUS_WORDS.length)] ?? '9000'),
      ]);
    if (shape === 2) return Uint8Array.from([...hex('53820fff'), ...randomBytes(next, next(40)), 0x90, 0x00]); // truncated object
    if (shape === 3) return Uint8Array.from([...hex('7c04 8202'), ...randomBytes(next, 2), 0x90, 0x00]);
    return Uint8Array.from([...randomBytes(next, next(600)), 0x61, next(256)]);
  });
  return new PivCard(transport, { maxResponseBytes: 8192 });
}

async function settle(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof PivError)) throw error;
  }
}

describe('PivCard against a card answering garbage', () => {
  it('only typed errors, for every operation', async () => {
    let typedErrors = 0;
    for (let seed = 1; seed <= 300; seed += 1) {
      const card = garbageCard(seed);
      const operations: Array<() => Promise<unknown>> = [
        () => card.select(),
        () => card.readChuid(),
        () => card.readDiscovery(),
        () => card.readCcc(),
        () => card.readKeyHistory(),
        () => card.readCertificate('9A'),
        () => card.pinStatus('application'),
        () => card.verifyPin(Buffer.from('123456'), 'global'),
        () => card.sign('9A', seed % 2 === 0 ? 'RSA-2048' : 'ECC-P384', Buffer.from('x')),
        () => verifyPinSafely(card, Buffer.from('123456'), { allowLastTry: seed % 3 === 0 }),
      ];
      for (const operation of operations) {
        await settle(
          operation().catch((error: unknown) => {
            typedErrors += error instanceof PivError ? 1 : 0;
            throw error;
          }),
        );
      }
    }
    expect(typedErrors).toBeGreaterThan(1000); // the garbage really was rejected, mostly
  });
});

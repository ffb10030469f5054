// The PC/SC edge with the project's virtual PIV card (not a stub): the card-inserted event carries
// the card's real ATR, the PIV card edge runs over a CardConnection, and a card pulled in the
// middle of PKI-AUTH makes the command reject with card-removed instead of hanging.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmartCardService, isSmartCardError } from '../../../native/pcsc/index.ts';
import type { CardConnection, SmartCardEventName, SmartCardService } from '../../../native/pcsc/index.ts';
import { isPivError, PivCard, signChallenge } from '../../../piv/index.ts';
import { startPcscEnvironment, waitForReaderState } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { startVirtualCard } from '../../../virtual-card/virtual-card.ts';
import type { VirtualCard } from '../../../virtual-card/virtual-card.ts';

let environment: PcscEnvironment;
let card: VirtualCard;
let service: SmartCardService;

function next(name: SmartCardEventName, timeoutMs = 5_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} within ${timeoutMs} ms`)), timeoutMs);
    service.once(name, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

beforeAll(async () => {
  environment = await startPcscEnvironment({ tcpNoDelay: true });
  card = await startVirtualCard({ profile: 'p256', port: environment.vpcdPort });
  service = createSmartCardService();
  const ready = next('reader-added');
  service.start();
  await ready;
});

afterAll(async () => {
  await service.stop();
  await card.stop();
  await environment.stop();
});

describe('SmartCardService with the virtual PIV card', () => {
  it('reports insertion with the ATR and runs the PIV card edge over the connection', async () => {
    const inserted = next('card-inserted');
    await card.insert();
    const [event] = (await inserted) as [{ reader: string; atr: Uint8Array }];
    expect(event.reader).toBe(environment.readerName);
    const connection = await service.connect(event.reader);
    expect(Buffer.from(connection.atr)).toEqual(Buffer.from(event.atr));
    const result = await signChallenge(
      new PivCard(connection, { atr: connection.atr }),
      Buffer.alloc(32, 0x0c),
      Buffer.from('123456'),
    );
    expect(result.verified).toBe(true);
    await connection.disconnect({ reset: true });
    const removed = next('card-removed');
    await card.remove();
    await removed;
    await waitForReaderState(environment.env, environment.readerName, 'empty');
  });

  it('rejects PKI-AUTH with card-removed when the card is pulled after the first APDUs', async () => {
    const inserted = next('card-inserted');
    await card.insert();
    await inserted;
    const connection = await service.connect(environment.readerName);
    let sent = 0;
    // Pull the card just before the third APDU (after SELECT and the certificate read began).
    const pullingTransport: Pick<CardConnection, 'transmit'> = {
      transmit: async (command) => {
        sent += 1;
        if (sent === 3) await card.remove();
        return connection.transmit(command);
      },
    };
    const failure = await signChallenge(
      new PivCard(pullingTransport, { atr: connection.atr }),
      Buffer.alloc(32, 0x0c),
      Buffer.from('123456'),
    ).catch((error: unknown) => error);
    const smartCardError = isSmartCardError(failure) ? failure : isPivError(failure) ? failure.cause : undefined;
    expect(isSmartCardError(smartCardError, 'card-removed')).toBe(true);
    await connection.disconnect({ reset: true });
    await waitForReaderState(environment.env, environment.readerName, 'empty');
  });
});

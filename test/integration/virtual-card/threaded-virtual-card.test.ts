// The virtual card on its own thread answers pcscd while the thread that started it is blocked in a synchronous
// call: the situation of the kiosk's own thread inside smartcard's synchronous SCardDisconnect, which froze the
// end-to-end tests for ever while the card answered on that same thread (threaded-virtual-card.ts says why).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { waitForReaderState } from '../../../virtual-card/pcscd/reader-state.ts';
import { startThreadedVirtualCard } from '../../../virtual-card/threaded-virtual-card.ts';
import { startVirtualCard } from '../../../virtual-card/virtual-card.ts';
import { DEFAULT_TEST_FASCN_HEX } from '../../../virtual-card/test-pki.ts';

const SELECT_PIV = '00:A4:04:00:09:A0:00:00:03:08:00:00:10:00:00';

let environment: PcscEnvironment;

beforeAll(async () => {
  environment = await startPcscEnvironment();
});
afterAll(async () => {
  await environment.stop();
});

/** SELECT of the PIV application by a client in a child process, while THIS thread is blocked waiting for it. */
function selectPivBlockingThisThread(timeoutMs: number): string {
  return execFileSync('opensc-tool', ['--reader', environment.readerName, '--send-apdu', SELECT_PIV], {
    env: environment.env,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

describe('virtual card on its own thread', () => {
  it('answers a client while the thread that started it is blocked', async () => {
    const card = await startThreadedVirtualCard({ profile: 'p256', port: environment.vpcdPort });
    try {
      await card.insert();
      expect(card.inserted).toBe(true);
      await waitForReaderState(environment.env, environment.readerName, 'present');
      const answer = selectPivBlockingThisThread(20_000);
      expect(answer).toMatch(/Received \(SW1=0x90, SW2=0x00\)/);
      await card.remove();
      expect(card.inserted).toBe(false);
      await waitForReaderState(environment.env, environment.readerName, 'empty');
    } finally {
      await card.stop();
    }
  });

  it('the same card on this thread cannot answer then (what the threaded card exists to avoid)', async () => {
    const card = await startVirtualCard({ profile: 'p256', port: environment.vpcdPort, insert: true });
    try {
      await waitForReaderState(environment.env, environment.readerName, 'present');
      expect(() => selectPivBlockingThisThread(3_000)).toThrow(/ETIMEDOUT|timed out/);
    } finally {
      await card.stop();
      await waitForReaderState(environment.env, environment.readerName, 'empty');
    }
  });

  it('reports a card thread that was stopped: no silent success for insert', async () => {
    const card = await startThreadedVirtualCard({ profile: 'rsa2048', port: environment.vpcdPort });
    await card.stop();
    await expect(card.insert()).rejects.toThrow(/virtual card thread has ended/);
  });
});

describe('virtual card identity', () => {
  it('carries the FASC-N it is given (two cards, two people): the default otherwise', async () => {
    const fascnHex = `d9${'0'.repeat(48)}`;
    const other = await startThreadedVirtualCard({ profile: 'p256', port: environment.vpcdPort, fascnHex });
    const plain = await startThreadedVirtualCard({ profile: 'p256', port: environment.vpcdPort });
    try {
      expect(other.identity.fascnHex).toBe(fascnHex);
      expect(plain.identity.fascnHex).toBe(DEFAULT_TEST_FASCN_HEX);
    } finally {
      await other.stop();
      await plain.stop();
    }
  });
});

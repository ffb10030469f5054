// The app's enroll (main/this-pc/pc-app-operations.ts `pcOperations`) reads the state file once and hands it to pc-setup.ts' enrollHere
// (which read it again before). `loadPcState` is wrapped in a counting spy that calls the real one (the real state
// file in a temporary directory); the whole enrollment runs for real in test/e2e/this-pc.e2e.test.ts and
// test/integration/cli/pc-app-windows.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pcOperations } from '../../../../main/this-pc/pc-app-operations.ts';
import { err } from '../../../../contracts/kiosk-api.ts';
import { loadPcState, newDeviceId, savePcState } from '../../../../main/this-pc/pc-state.ts';
import type * as PcStateModule from '../../../../main/this-pc/pc-state.ts';

vi.mock('../../../../main/this-pc/pc-state.ts', async (importOriginal) => {
  const real = await importOriginal<typeof PcStateModule>();
  return { ...real, loadPcState: vi.fn(real.loadPcState) };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dck-pc-app-'));
  vi.mocked(loadPcState).mockClear();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const noSignIn = () => Promise.resolve(err({ code: 'card-removed' as const, message: 'not in this test' }));

describe("the app's enroll", () => {
  it('on a PC set up already: "already set up", from one read of the state file', async () => {
    await savePcState(dir, {
      version: 1,
      issuerUrl: 'https://issuer.example',
      caFile: join(dir, 'ca.pem'),
      deviceId: newDeviceId(),
      store: 'software',
      label: 'Derived Credential',
      credential: {
        keyId: '0123456789abcdef',
        serialNumberHex: '0a1b',
        notAfter: '2031-01-01T00:00:00.000Z',
        renewalDueAt: '2030-12-01T00:00:00.000Z',
      },
      retiring: [],
    });
    const enrolled = await pcOperations({ stateDir: dir, protection: undefined }, null).enroll(noSignIn, () => {});
    expect(enrolled).toMatchObject({ ok: false, error: { code: 'store-failed', message: /already set up/ } });
    expect(loadPcState).toHaveBeenCalledTimes(1);
  });

  it("a state file that is not this PC's state: the key store's fault, naming the file, from one read", async () => {
    writeFileSync(join(dir, 'state.json'), '{"version":2}');
    const enrolled = await pcOperations({ stateDir: dir, protection: undefined }, null).enroll(noSignIn, () => {});
    expect(enrolled).toMatchObject({ ok: false, error: { code: 'store-failed', message: /state\.json/ } });
    expect(loadPcState).toHaveBeenCalledTimes(1);
  });
});

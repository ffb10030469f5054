// The app's "Set up this PC" operations (cli/pc-app.ts) on Windows, run on Linux: the same steps as `dck pc` on a
// FAKE Windows (test/unit/native/device-keys/windows/fake-windows-commands.ts) against a real issuer. Before the steps
// had one home (main/this-pc/pc-setup.ts), the app only knew the Linux PKCS#11 store.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pcOperations } from '../../../main/this-pc/pc-app-operations.ts';
import { ok } from '../../../contracts/kiosk-api.ts';
import type { PcWorkStep } from '../../../contracts/pc-api.ts';
import { FakeWindowsCommands } from '../../unit/native/device-keys/windows/fake-windows-commands.ts';
import { fakeWindowsHost, startPcBench, testCardSignIn } from './pc-fixture.ts';
import type { PcBench } from './pc-fixture.ts';

let bench: PcBench;

beforeAll(async () => {
  bench = await startPcBench({ name: 'dck-pc-app-windows-' });
}, 60_000);
afterAll(() => bench.stop());

it('the app sets this PC up in the Windows TPM (certreq, CurrentUser\\My, a Task Scheduler reminder), then removes it', async () => {
  const windows = new FakeWindowsCommands();
  const operations = pcOperations(
    { stateDir: join(bench.work, 'state'), issuerUrl: bench.h.issuer.url, caFile: bench.caFile, protection: 'tpm' },
    fakeWindowsHost(windows),
  );
  const steps: PcWorkStep[] = [];
  const signIn = () => testCardSignIn(bench.h);

  const enrolled = await operations.enroll(signIn, (step) => steps.push(step));
  expect(enrolled.ok).toBe(true);
  expect([...windows.keys.values()]).toEqual(['Microsoft Platform Crypto Provider']);
  expect(windows.stores.My).toHaveLength(1);
  expect(windows.tasks.size).toBe(1);
  expect(steps.length).toBeGreaterThan(0);
  expect(await operations.installed()).toMatchObject({ protection: 'tpm', inStore: true });

  expect(await operations.remove(() => undefined)).toEqual(ok(null));
  expect(windows.keys.size).toBe(0);
  expect(windows.stores.My).toEqual([]);
  expect(windows.tasks.size).toBe(0);
  expect(await operations.installed()).toBeNull();
}, 60_000);

it('the app on a Windows PC without a TPM uses the software provider when the organisation allows it, as dck pc does', async () => {
  const windows = new FakeWindowsCommands();
  windows.tpmReady = false;
  const operations = pcOperations(
    {
      stateDir: join(bench.work, 'state-no-tpm'),
      issuerUrl: bench.h.issuer.url,
      caFile: bench.caFile,
      protection: undefined,
    },
    fakeWindowsHost(windows),
  );
  const signIn = () => testCardSignIn(bench.h);

  const enrolled = await operations.enroll(signIn, () => undefined);
  expect(enrolled.ok).toBe(true);
  expect([...windows.keys.values()]).toEqual(['Microsoft Software Key Storage Provider']);
  expect(await operations.installed()).toMatchObject({ protection: 'software', inStore: true });
  expect(await operations.remove(() => undefined)).toEqual(ok(null));
}, 60_000);

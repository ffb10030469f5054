import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listReaders, startPcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../../../virtual-card/pcscd/pcsc-environment.ts';
import { parseReaderList, waitForReaderState } from '../../../virtual-card/pcscd/reader-state.ts';
import { startVirtualCard } from '../../../virtual-card/virtual-card.ts';

let environment: PcscEnvironment;

beforeAll(async () => {
  environment = await startPcscEnvironment();
});
afterAll(async () => {
  await environment.stop();
});

describe('pcscd test environment', () => {
  it('runs a private pcscd whose vpcd readers independent clients see', async () => {
    expect(environment.isolated).toBe(true);
    expect(environment.socketPath).not.toBe('/run/pcscd/pcscd.comm');
    expect(process.env.PCSCLITE_CSOCK_NAME).toBe(environment.socketPath);
    const listing = execFileSync('opensc-tool', ['-l'], {
      env: environment.env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(listing).toContain(environment.readerName);
    expect(listing).toContain(environment.secondReaderName);
    const readers = await listReaders(environment.env);
    expect(readers).toEqual([
      { name: environment.readerName, cardPresent: false },
      { name: environment.secondReaderName, cardPresent: false },
    ]);
  });

  it('keeps the same socket path across a pcscd restart, and reports it gone while stopped', async () => {
    await environment.stopPcscd();
    expect(environment.running).toBe(false);
    expect(await listReaders(environment.env)).toEqual([]);
    await environment.startPcscd();
    expect(environment.running).toBe(true);
    expect(existsSync(environment.socketPath)).toBe(true);
    await environment.restartPcscd();
    expect((await listReaders(environment.env)).map((reader) => reader.name)).toContain(environment.readerName);
  });

  it('a card inserted before a pcscd restart is told it was dropped, and can be inserted again', async () => {
    const drops: string[] = [];
    const card = await startVirtualCard({
      profile: 'p256',
      port: environment.vpcdPort,
      onDisconnect: (reason) => drops.push(reason),
    });
    try {
      await card.insert();
      await waitForReaderState(environment.env, environment.readerName, 'present');
      await environment.restartPcscd();
      expect(drops).toHaveLength(1);
      expect(card.inserted).toBe(false);
      await card.insert();
      await waitForReaderState(environment.env, environment.readerName, 'present');
      await card.remove();
      await waitForReaderState(environment.env, environment.readerName, 'empty');
      expect(drops).toHaveLength(1);
    } finally {
      await card.stop();
    }
  });

  it('refuses a second environment in the same process', async () => {
    await expect(startPcscEnvironment()).rejects.toThrow(/one environment per process/);
  });
});

describe('opensc-tool -l parsing', () => {
  it('reads card presence and names, ignoring noise', () => {
    const output =
      '# Detected readers (pcsc)\nNr.  Card  Features  Name\n0    Yes             Virtual PCD 00 00\n1    No    PIN pad   Some Reader 01\ngarbage\n';
    expect(parseReaderList(output)).toEqual([
      { name: 'Virtual PCD 00 00', cardPresent: true },
      { name: 'Some Reader 01', cardPresent: false },
    ]);
    expect(parseReaderList('No smart card readers found.\n')).toEqual([]);
  });
});

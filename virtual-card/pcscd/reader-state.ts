/**
 * Reader and card presence as an independent client sees it (`opensc-tool -l`), for tests that must
 * wait for pcscd: reader listed, card inserted, card removed. `opensc-tool -l` only queries
 * SCardGetStatusChange; it sends no APDU, so it does not disturb an emulator's APDU count.
 */
import { execFile } from 'node:child_process';

export type ReaderState = 'present' | 'empty' | 'listed' | 'unlisted';

export interface ReaderStatus {
  readonly name: string;
  readonly cardPresent: boolean;
}

const LINE = /^\d+\s+(Yes|No)\s+(?:(?:PIN pad|Display)(?:,\s*(?:PIN pad|Display))*\s+)?(.+?)\s*$/;

/** Readers pcscd knows, via the socket in env.PCSCLITE_CSOCK_NAME; [] when pcscd is not reachable. */
export function listReaders(env: NodeJS.ProcessEnv): Promise<ReaderStatus[]> {
  return new Promise((resolve) => {
    execFile('opensc-tool', ['-l'], { env, timeout: 5_000 }, (error, stdout) => {
      if (error) {
        resolve([]);
        return;
      }
      resolve(parseReaderList(stdout));
    });
  });
}

export function parseReaderList(output: string): ReaderStatus[] {
  const readers: ReaderStatus[] = [];
  for (const line of output.split('\n')) {
    const match = LINE.exec(line);
    if (match?.[1] && match[2]) readers.push({ name: match[2], cardPresent: match[1] === 'Yes' });
  }
  return readers;
}

/**
 * Resolves once `readerName` is in `state` ('present' = card in, 'empty' = listed without card,
 * 'listed', 'unlisted'); rejects after timeoutMs. Polls every 25 ms.
 */
export async function waitForReaderState(
  env: NodeJS.ProcessEnv,
  readerName: string,
  state: ReaderState,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reader = (await listReaders(env)).find((candidate) => candidate.name === readerName);
    if (matches(reader, state)) return;
    if (Date.now() > deadline) {
      throw new Error(`reader "${readerName}" not ${state} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function matches(reader: ReaderStatus | undefined, state: ReaderState): boolean {
  switch (state) {
    case 'present':
      return reader?.cardPresent === true;
    case 'empty':
      return reader !== undefined && !reader.cardPresent;
    case 'listed':
      return reader !== undefined;
    case 'unlisted':
      return reader === undefined;
  }
}

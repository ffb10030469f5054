// What the `dck pc` tests share: the command run as a person runs it (a child process, the card PIN on standard
// input), and the issuer's record of a credential read from its database.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ISSUER_DATABASE_FILE, openSqliteStorage } from '../../../issuer/storage/sqlite-storage.ts';
import type { IssuerHarness } from '../issuer/issuer-fixture.ts';

export interface DckResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/dck.js pc …` with `stdin` (the card PIN, if any). Async: the virtual card lives in the test's process. */
export function runDckPc(args: readonly string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<DckResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/dck.js', 'pc', ...args], { env, cwd: process.cwd() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** The issuer's record of a derived credential (status, revocation reason, key protection). */
export async function storedCredential(h: IssuerHarness, serialNumberHex: string) {
  const storage = openSqliteStorage(join(h.dataDir, ISSUER_DATABASE_FILE), { checkpointIntervalMs: 0 });
  try {
    return await storage.findDerivedCertificate(serialNumberHex);
  } finally {
    await storage.close();
  }
}

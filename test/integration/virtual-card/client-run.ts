/**
 * Runs a PC/SC client program asynchronously (the virtual card answers on this process's event
 * loop, so a synchronous spawn would deadlock) and returns its exit code and output.
 */
import { execFile } from 'node:child_process';

export interface ClientResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export const OPENSC_PKCS11 = '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so';

export function runClient(env: NodeJS.ProcessEnv, command: string, args: readonly string[]): Promise<ClientResult> {
  return new Promise((resolve) => {
    execFile(command, [...args], { env, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// The real WindowsCommands: certreq.exe, certutil.exe and powershell.exe from System32, no shell (arguments are
// never re-parsed), no window, bounded time. Only used on Windows; the tests use the FAKE beside their test file.
import { execFile } from 'node:child_process';
import type { ToolOutcome } from './certreq-output.ts';
import type { WindowsCommands, WindowsProgram } from './certreq-device-key-store.ts';

/** certreq -new with the TPM takes about a second on a PC; a TPM in dictionary-attack back-off can hang far longer. */
const TOOL_TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 1024 * 1024;

export class ChildProcessWindowsCommands implements WindowsCommands {
  constructor(private readonly system32 = `${process.env.SystemRoot ?? 'C:\\Windows'}\\System32`) {}

  run(program: WindowsProgram, args: readonly string[]): Promise<ToolOutcome> {
    const file =
      program === 'powershell'
        ? `${this.system32}\\WindowsPowerShell\\v1.0\\powershell.exe`
        : `${this.system32}\\${program}.exe`;
    return new Promise((resolve) => {
      execFile(
        file,
        [...args],
        { windowsHide: true, timeout: TOOL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8' },
        (error, stdout, stderr) => {
          // A non-zero exit is an answer to read (toolVerdict), not an exception; a program that could not start is exit -1.
          const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ exitCode, stdout, stderr });
        },
      );
    });
  }
}

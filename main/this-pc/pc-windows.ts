// `dck pc` on Windows: the key in the Microsoft Platform Crypto Provider (the TPM) through certreq, the certificate in
// CurrentUser\My where Windows, Edge, Chrome and VPN clients look, and the renewal reminder as a Task Scheduler task of
// the signed-in user. Everything runs through `WindowsCommands`: on Windows the System32 programs, in the tests on
// Linux a FAKE that replays their recorded behaviour (test/unit/native/device-keys/windows/fake-windows-commands.ts).
// There is no token PIN on Windows: CNG keeps the key to the user's own account.
import { userInfo } from 'node:os';
import type { KeyProtection } from '../../contracts/issuer-api.ts';
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';
import { pcError } from './pc-errors.ts';
import type { PcError } from './pc-errors.ts';
import {
  registerWindowsRenewalTask,
  removeWindowsRenewalTask,
  WINDOWS_RENEWAL_TASK_NAME,
} from './windows-renewal-task.ts';
import { CertreqDeviceKeyStore, ChildProcessWindowsCommands } from '../../native/device-keys/index.ts';
import type { WindowsCommands } from '../../native/device-keys/index.ts';

export interface WindowsPcHost {
  readonly commands: WindowsCommands;
  /** DOMAIN\user: whose Task Scheduler library gets the reminder. */
  readonly userId: string;
  /** The reminder's program and its first arguments (node.exe and dck.js), absolute Windows paths. */
  readonly dckCommand: readonly string[];
  /** Now, for the reminder's first run. */
  readonly now: () => Date;
}

export function nodeWindowsPcHost(dckEntry: string): WindowsPcHost {
  const user = userInfo().username;
  const domain = process.env.USERDOMAIN;
  return {
    commands: new ChildProcessWindowsCommands(),
    userId: domain === undefined || domain === '' ? user : `${domain}\\${user}`,
    dckCommand: [process.execPath, dckEntry],
    now: () => new Date(),
  };
}

export const windowsStore = (host: WindowsPcHost, protection: KeyProtection): CertreqDeviceKeyStore =>
  new CertreqDeviceKeyStore(protection, host.commands);

/**
 * The store an enroll uses. Asked before the card, so a PC without a TPM makes nothing first: `--store tpm` then
 * stops with a plain message; without `--store`, Windows' software provider is used, whose key the issuer records as
 * software-protected and refuses when the tenant allows only TPM keys (`software-key-refused`: the key made for it
 * is then deleted). `--store software` asks for the software provider on any PC.
 */
export async function chooseWindowsProtection(
  host: WindowsPcHost,
  requested: KeyProtection | undefined,
): Promise<Result<{ protection: KeyProtection; note: string | null }, PcError>> {
  if (requested === 'software') return ok({ protection: 'software', note: null });
  if (await windowsStore(host, 'tpm').available()) return ok({ protection: 'tpm', note: null });
  if (requested === 'tpm')
    return err(
      pcError(
        'no-platform-store',
        'No TPM answers on this PC (Windows finds no usable TPM 2.0). An organisation that allows software keys: leave out --store tpm.',
      ),
    );
  return ok({
    protection: 'software',
    note: 'No TPM answers on this PC: Windows makes the key in software (marked software-protected; the organisation may refuse it).',
  });
}

/** The daily reminder running `dck pc status --notify --state DIR`; a failure is reported, the credential stays. */
export async function registerWindowsReminder(host: WindowsPcHost, stateDir: string): Promise<string> {
  const [program, ...firstArguments] = host.dckCommand;
  try {
    if (program === undefined) throw new Error('no program for the reminder');
    await registerWindowsRenewalTask(host.commands, {
      program,
      arguments: [...firstArguments, 'pc', 'status', '--notify', '--state', stateDir],
      userId: host.userId,
      startBoundary: tomorrowAtNine(host.now()),
    });
    return `A daily renewal reminder is on (Task Scheduler: "${WINDOWS_RENEWAL_TASK_NAME}").`;
  } catch (error) {
    return `The renewal reminder was not set up (${error instanceof Error ? error.message : 'schtasks failed'}).`;
  }
}

export const removeWindowsReminder = (host: WindowsPcHost): Promise<void> => removeWindowsRenewalTask(host.commands);

/** Task Scheduler's local time without a zone: tomorrow 09:00 (with its random hour, during the working morning). */
function tomorrowAtNine(now: Date): string {
  const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9, 0, 0);
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${next.getFullYear()}-${two(next.getMonth() + 1)}-${two(next.getDate())}T09:00:00`;
}

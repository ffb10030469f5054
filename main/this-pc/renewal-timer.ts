// The renewal reminder `dck pc enroll` leaves behind: on Linux a systemd user timer + service that runs
// `dck pc status --notify` daily; on Windows a Task Scheduler task doing the same (windows-renewal-task.ts). The unit
// text is a pure function (tested for content, and with `systemd-analyze verify` where it exists); writing them is
// one call, into a directory the caller names (tests never touch ~/.config/systemd).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const RENEWAL_UNIT = 'dck-pc-renewal';

/** $XDG_CONFIG_HOME/systemd/user, where `systemctl --user` finds units a user installed. */
export function defaultSystemdUserDir(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'systemd', 'user');
}

/**
 * One ExecStart word (systemd.service "Command lines"): double-quoted, `\` and `"` escaped, `%` doubled (specifier)
 * and `$` doubled (variable). Control characters cannot be quoted into a unit line: refused.
 */
export function systemdWord(word: string): string {
  if (/[\p{Cc}]/u.test(word) || word.length === 0) throw new Error('a command word with control characters or empty');
  return `"${word
    .replace(/[\\"]/g, (char) => `\\${char}`)
    .replace(/%/g, '%%')
    .replace(/\$/g, '$$$$')}"`;
}

/** `command`: absolute program path, then its arguments (e.g. node, dck.js, pc, status, --notify, --state, DIR). */
export function renewalUnits(command: readonly string[]): { service: string; timer: string } {
  const [program] = command;
  if (program === undefined || !program.startsWith('/')) throw new Error('the reminder needs an absolute program path');
  return {
    service: [
      '[Unit]',
      'Description=Derived credential of this PC: renewal reminder (dck pc status --notify)',
      '',
      '[Service]',
      'Type=oneshot',
      `ExecStart=${command.map(systemdWord).join(' ')}`,
      '',
    ].join('\n'),
    timer: [
      '[Unit]',
      "Description=Daily check of this PC's derived credential against its renewal date",
      '',
      '[Timer]',
      'OnCalendar=daily',
      // A PC that was off at midnight checks at its next start; PCs of one tenant do not all ask at once.
      'Persistent=true',
      'RandomizedDelaySec=1h',
      `Unit=${RENEWAL_UNIT}.service`,
      '',
      '[Install]',
      'WantedBy=timers.target',
      '',
    ].join('\n'),
  };
}

export async function writeRenewalUnits(directory: string, command: readonly string[]): Promise<string[]> {
  const units = renewalUnits(command);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const files = [join(directory, `${RENEWAL_UNIT}.service`), join(directory, `${RENEWAL_UNIT}.timer`)];
  await writeFile(files[0] ?? '', units.service, { mode: 0o644 });
  await writeFile(files[1] ?? '', units.timer, { mode: 0o644 });
  return files;
}

export async function removeRenewalUnits(directory: string): Promise<void> {
  for (const suffix of ['service', 'timer']) await rm(join(directory, `${RENEWAL_UNIT}.${suffix}`), { force: true });
}

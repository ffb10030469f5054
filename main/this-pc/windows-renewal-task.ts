// The Windows renewal reminder: a Task Scheduler task (schema 1.2, imported with `schtasks /Create /XML file /TN
// "Derived Credential renewal"`) that runs `dck pc status --notify` daily as the signed-in user, without elevation.
// The XML is pure (golden-tested); every value is XML-escaped, and the program path must be absolute. Registering and
// removing it run schtasks through the Windows command runner (a FAKE in the tests on Linux).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WindowsCommands } from '../../native/device-keys/index.ts';

/** The task's name in the user's Task Scheduler library (schtasks /TN). */
export const WINDOWS_RENEWAL_TASK_NAME = 'Derived Credential renewal';

export interface WindowsRenewalTask {
  /** Absolute path of the program (e.g. the desktop app's executable). */
  readonly program: string;
  readonly arguments: readonly string[];
  /** DOMAIN\user or user: whose session the reminder runs in. */
  readonly userId: string;
  /** First run (ISO 8601 without zone: Task Scheduler's local time). */
  readonly startBoundary: string;
}

const escapeXml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char] ?? char,
  );

/** One command-line argument as CommandLineToArgvW reads it back: quoted when it has a space, tab or quote. */
function windowsArgument(argument: string): string {
  if (argument !== '' && !/[\s"]/.test(argument)) return argument;
  return `"${argument.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

export function windowsRenewalTaskXml(task: WindowsRenewalTask): string {
  if (!/^[A-Za-z]:\\/.test(task.program)) throw new Error('the reminder needs an absolute program path');
  if ([task.program, task.userId, ...task.arguments].some((text) => /\p{Cc}/u.test(text)))
    throw new Error('control characters cannot be part of the reminder');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(task.startBoundary))
    throw new Error('startBoundary: local ISO time');
  return [
    '<?xml version="1.0" encoding="UTF-16"?>',
    '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
    '  <RegistrationInfo>',
    '    <Description>Derived credential of this PC: renewal reminder (dck pc status --notify)</Description>',
    '  </RegistrationInfo>',
    '  <Triggers>',
    '    <CalendarTrigger>',
    `      <StartBoundary>${task.startBoundary}</StartBoundary>`,
    '      <RandomDelay>PT1H</RandomDelay>',
    '      <ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>',
    '    </CalendarTrigger>',
    '  </Triggers>',
    '  <Principals>',
    '    <Principal id="Author">',
    `      <UserId>${escapeXml(task.userId)}</UserId>`,
    '      <LogonType>InteractiveToken</LogonType>',
    '      <RunLevel>LeastPrivilege</RunLevel>',
    '    </Principal>',
    '  </Principals>',
    '  <Settings>',
    '    <StartWhenAvailable>true</StartWhenAvailable>',
    '    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>',
    '    <ExecutionTimeLimit>PT10M</ExecutionTimeLimit>',
    '    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>',
    '  </Settings>',
    '  <Actions Context="Author">',
    '    <Exec>',
    `      <Command>${escapeXml(task.program)}</Command>`,
    `      <Arguments>${escapeXml(task.arguments.map(windowsArgument).join(' '))}</Arguments>`,
    '    </Exec>',
    '  </Actions>',
    '</Task>',
    '',
  ].join('\r\n');
}

/**
 * Imports the task for the signed-in user (`schtasks /Create /XML … /TN … /F`: replaces an older one, no elevation:
 * the XML's principal is that user with LeastPrivilege). schtasks prints no HRESULT, so only its exit code is read.
 * @throws Error naming the step when schtasks refuses
 */
export async function registerWindowsRenewalTask(commands: WindowsCommands, task: WindowsRenewalTask): Promise<void> {
  const xml = windowsRenewalTaskXml(task);
  const directory = await mkdtemp(join(tmpdir(), 'dck-task-'));
  try {
    const file = join(directory, 'renewal-task.xml');
    // The XML declares UTF-16: Task Scheduler reads it as UTF-16LE with a byte-order mark.
    await writeFile(file, Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from(xml, 'utf16le')]));
    const created = await commands.run('schtasks', ['/Create', '/XML', file, '/TN', WINDOWS_RENEWAL_TASK_NAME, '/F']);
    if (created.exitCode !== 0) throw new Error(`schtasks /Create failed (exit ${created.exitCode})`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Deletes the task if it is there (`/Query` first: a missing task is not a failure, and its words are not read). */
export async function removeWindowsRenewalTask(commands: WindowsCommands): Promise<void> {
  const query = await commands.run('schtasks', ['/Query', '/TN', WINDOWS_RENEWAL_TASK_NAME]);
  if (query.exitCode !== 0) return;
  const deleted = await commands.run('schtasks', ['/Delete', '/TN', WINDOWS_RENEWAL_TASK_NAME, '/F']);
  if (deleted.exitCode !== 0) throw new Error(`schtasks /Delete failed (exit ${deleted.exitCode})`);
}

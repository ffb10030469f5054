// The Windows renewal reminder as Task Scheduler XML: the whole document byte for byte (golden), then hostile values
// (XML markup, quotes and spaces in paths and arguments, control characters, a relative program).
import { describe, expect, it } from 'vitest';
import {
  registerWindowsRenewalTask,
  removeWindowsRenewalTask,
  WINDOWS_RENEWAL_TASK_NAME,
  windowsRenewalTaskXml,
} from '../../../../main/this-pc/windows-renewal-task.ts';
import { FakeWindowsCommands } from '../../native/device-keys/windows/fake-windows-commands.ts';

const TASK = {
  program: 'C:\\Program Files\\Derived Credential\\dck.exe',
  arguments: ['pc', 'status', '--notify', '--state', 'C:\\Users\\Pat Example\\AppData\\Roaming\\dck\\pc'],
  userId: 'AGENCY\\pat',
  startBoundary: '2026-12-07T09:00:00',
};

const GOLDEN = [
  '<?xml version="1.0" encoding="UTF-16"?>',
  '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
  '  <RegistrationInfo>',
  '    <Description>Derived credential of this PC: renewal reminder (dck pc status --notify)</Description>',
  '  </RegistrationInfo>',
  '  <Triggers>',
  '    <CalendarTrigger>',
  '      <StartBoundary>2026-12-07T09:00:00</StartBoundary>',
  '      <RandomDelay>PT1H</RandomDelay>',
  '      <ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>',
  '    </CalendarTrigger>',
  '  </Triggers>',
  '  <Principals>',
  '    <Principal id="Author">',
  '      <UserId>AGENCY\\pat</UserId>',
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
  '      <Command>C:\\Program Files\\Derived Credential\\dck.exe</Command>',
  '      <Arguments>pc status --notify --state &quot;C:\\Users\\Pat Example\\AppData\\Roaming\\dck\\pc&quot;</Arguments>',
  '    </Exec>',
  '  </Actions>',
  '</Task>',
  '',
].join('\r\n');

describe('Windows renewal task (Task Scheduler XML)', () => {
  it('runs `dck pc status --notify` daily as the user, unelevated, catching up after the PC was off (golden)', () => {
    expect(windowsRenewalTaskXml(TASK)).toBe(GOLDEN);
  });

  it('escapes markup and quotes arguments as CommandLineToArgvW reads them back', () => {
    const xml = windowsRenewalTaskXml({
      ...TASK,
      userId: 'pat</UserId><RunLevel>HighestAvailable',
      arguments: ['a "b"\\', ''],
    });
    expect(xml).toContain('<UserId>pat&lt;/UserId&gt;&lt;RunLevel&gt;HighestAvailable</UserId>');
    expect(xml).not.toContain('<RunLevel>HighestAvailable');
    expect(xml).toContain('<Arguments>&quot;a \\&quot;b\\&quot;\\\\&quot; &quot;&quot;</Arguments>');
  });

  it('refuses a relative program, control characters and a start that is not a local time', () => {
    expect(() => windowsRenewalTaskXml({ ...TASK, program: 'dck.exe' })).toThrow(/absolute/);
    expect(() => windowsRenewalTaskXml({ ...TASK, arguments: ['pc\r\nstatus'] })).toThrow(/control/);
    expect(() => windowsRenewalTaskXml({ ...TASK, startBoundary: 'tomorrow' })).toThrow(/startBoundary/);
  });

  it('registers with schtasks /Create /XML as UTF-16LE with a BOM, replaces an older one, and removes it (FAKE Windows)', async () => {
    const windows = new FakeWindowsCommands();
    await registerWindowsRenewalTask(windows, TASK);
    await registerWindowsRenewalTask(windows, { ...TASK, startBoundary: '2026-12-08T09:00:00' });
    expect([...windows.tasks.keys()]).toEqual([WINDOWS_RENEWAL_TASK_NAME]);
    expect(windows.tasks.get(WINDOWS_RENEWAL_TASK_NAME)).toBe(GOLDEN.replace('2026-12-07', '2026-12-08'));
    await removeWindowsRenewalTask(windows);
    expect(windows.tasks.size).toBe(0);
    // Removing a task that is not there (a second `dck pc remove`) is no failure, and deletes nothing.
    await removeWindowsRenewalTask(windows);
    expect(windows.calls.filter((call) => call.args[0] === '/Delete')).toHaveLength(1);
  });

  it('says so when Task Scheduler refuses the task', async () => {
    const windows = new FakeWindowsCommands();
    windows.taskCreateFails = true;
    await expect(registerWindowsRenewalTask(windows, TASK)).rejects.toThrow('schtasks /Create failed (exit 1)');
  });
});

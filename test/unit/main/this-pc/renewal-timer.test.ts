// The renewal reminder's systemd units: what they run and when, quoting of hostile paths, and (where systemd is
// installed) `systemd-analyze verify` accepting them as written.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  RENEWAL_UNIT,
  removeRenewalUnits,
  renewalUnits,
  systemdWord,
  writeRenewalUnits,
} from '../../../../main/this-pc/renewal-timer.ts';

const COMMAND = [
  '/usr/bin/node',
  '/opt/dck/bin/dck.js',
  'pc',
  'status',
  '--notify',
  '--state',
  '/home/pat/.config/dck/pc',
];

describe('renewal reminder (systemd user units)', () => {
  it('a oneshot service running `dck pc status --notify`, a daily persistent timer installed for timers.target', () => {
    const { service, timer } = renewalUnits(COMMAND);
    expect(service).toContain('Type=oneshot');
    expect(service).toContain(
      'ExecStart="/usr/bin/node" "/opt/dck/bin/dck.js" "pc" "status" "--notify" "--state" "/home/pat/.config/dck/pc"',
    );
    expect(timer).toContain('OnCalendar=daily');
    expect(timer).toContain('Persistent=true');
    expect(timer).toContain(`Unit=${RENEWAL_UNIT}.service`);
    expect(timer).toContain('WantedBy=timers.target');
  });

  it('quotes what systemd would read as a specifier, a variable, a quote or an escape; refuses control characters', () => {
    expect(systemdWord('/home/100% "pat"/$HOME\\x')).toBe('"/home/100%% \\"pat\\"/$$HOME\\\\x"');
    expect(() => systemdWord('/home/pat\nExecStartPre=/bin/sh')).toThrow();
    expect(() => renewalUnits(['node', 'dck.js'])).toThrow(/absolute/);
  });

  it('writes both units where it is told, systemd-analyze accepts them, and removing takes them away', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'dck-units-'));
    try {
      const files = await writeRenewalUnits(directory, [
        process.execPath,
        '/opt/dck/bin/dck.js',
        'pc',
        'status',
        '--notify',
      ]);
      expect(files.map((file) => file.slice(directory.length + 1))).toEqual([
        `${RENEWAL_UNIT}.service`,
        `${RENEWAL_UNIT}.timer`,
      ]);
      expect(readFileSync(files[0] ?? '', 'utf8')).toContain(`ExecStart="${process.execPath}"`);
      if (existsSync('/usr/bin/systemd-analyze')) {
        // --man=no: no man pages on build machines. It checks syntax, that the program exists, and the timer's unit.
        execFileSync('systemd-analyze', ['verify', '--man=no', ...files], { stdio: 'pipe' });
      }
      await removeRenewalUnits(directory);
      expect(files.some((file) => existsSync(file))).toBe(false);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

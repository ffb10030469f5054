// The kiosk deployment recipes in build/kiosk/: the Linux systemd unit (cage, dedicated user, restarted always)
// passes `systemd-analyze verify`, the Windows Shell Launcher v2 XML parses and restarts the kiosk on every exit,
// and the example configuration is one the kiosk accepts.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, describe, expect, it } from 'vitest';
import { parseKioskConfig } from '../../../main/config/kiosk-config.ts';

const repoRoot = join(import.meta.dirname, '../../..');
const UNIT = join(repoRoot, 'build/kiosk/linux/derived-credential-kiosk.service');
const SHELL_LAUNCHER = join(repoRoot, 'build/kiosk/windows/shell-launcher.xml');
const tmp = mkdtempSync(join(tmpdir(), 'dck-kiosk-recipes-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The unit's [Service] settings, key → values in order. */
function serviceSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const line of text.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line.trim());
    if (header !== null) section = header[1] ?? '';
    const setting = /^(\w+)=(.*)$/.exec(line);
    if (section === 'Service' && setting !== null)
      settings.set(setting[1] ?? '', [...(settings.get(setting[1] ?? '') ?? []), setting[2] ?? '']);
  }
  return settings;
}

/**
 * `systemd-analyze verify` on a copy whose two executables (cage, the kiosk) are stand-ins in a temp dir — verify
 * checks that ExecStart's program exists, and neither is installed on a build machine. Everything else as shipped.
 */
function verifyUnit(text: string, name: string): Promise<string> {
  for (const program of ['cage', 'kiosk']) {
    writeFileSync(join(tmp, program), '#!/bin/sh\nexit 0\n');
    chmodSync(join(tmp, program), 0o755);
  }
  const file = join(tmp, name);
  writeFileSync(
    file,
    text.replace('/usr/bin/cage', join(tmp, 'cage')).replace('/usr/bin/derived-credential-kiosk', join(tmp, 'kiosk')),
  );
  return new Promise((resolve, reject) => {
    execFile('systemd-analyze', ['verify', file], { timeout: 30_000 }, (error, stdout, stderr) => {
      // verify exits non-zero for some findings: those come with a message, which is what the tests read.
      if (error !== null && stderr === '') reject(new Error(`systemd-analyze failed: ${error.message}`));
      else resolve(`${stdout}${stderr}`.trim());
    });
  });
}

describe('build/kiosk/linux/derived-credential-kiosk.service', () => {
  const unit = readFileSync(UNIT, 'utf8');

  it('passes systemd-analyze verify without a warning', async () => {
    expect(await verifyUnit(unit, 'derived-credential-kiosk.service')).toBe('');
  });

  it('is checked for real: a misspelt setting makes verify complain', async () => {
    expect(await verifyUnit(unit.replace('Restart=always', 'Restart=alwayz'), 'misspelt.service')).toMatch(
      /restart specifier/,
    );
  });

  it('runs the kiosk in cage as the dedicated user, restarted always, never giving up', () => {
    const service = serviceSettings(unit);
    expect(service.get('User')).toEqual(['dck-kiosk']);
    expect(service.get('Restart')).toEqual(['always']);
    expect(service.get('ExecStart')?.[0]).toMatch(
      /^\/usr\/bin\/cage .*-- \/usr\/bin\/derived-credential-kiosk --config \/etc\/derived-credential-kiosk\/kiosk\.json$/,
    );
    expect(service.get('NoNewPrivileges')).toEqual(['yes']);
    expect(unit).toMatch(/^StartLimitIntervalSec=0$/m);
  });
});

describe('build/kiosk/windows/shell-launcher.xml', () => {
  const V1 = 'http://schemas.microsoft.com/ShellLauncher/2018/Configuration';
  const V2 = 'http://schemas.microsoft.com/ShellLauncher/2019/Configuration';
  const errors: string[] = [];
  const document = new DOMParser({
    errorHandler: (level, message) => {
      errors.push(`${level}: ${message}`);
    },
  }).parseFromString(readFileSync(SHELL_LAUNCHER, 'utf8'), 'text/xml');

  it('is well-formed XML in the Shell Launcher v2 namespaces', () => {
    expect(errors).toEqual([]);
    expect(document.documentElement.localName).toBe('ShellLauncherConfiguration');
    expect(document.documentElement.namespaceURI).toBe(V1);
  });

  it('gives the kiosk account the kiosk app as a full-screen desktop shell, restarted on every exit code', () => {
    const profiles = Array.from(document.getElementsByTagNameNS(V1, 'Profile')).filter(
      (node) => node.parentNode?.nodeName === 'Profiles',
    );
    expect(profiles).toHaveLength(1);
    const profile = profiles[0];
    const shell = profile?.getElementsByTagNameNS(V1, 'Shell')[0];
    expect(shell?.getAttribute('Shell')).toBe('%ProgramFiles%\\Derived Credential Kiosk\\Derived Credential Kiosk.exe');
    expect(shell?.getAttributeNS(V2, 'AppType')).toBe('Desktop');
    expect(shell?.getAttributeNS(V2, 'AllAppsFullScreen')).toBe('true');
    const actions = Array.from(shell?.getElementsByTagNameNS(V1, 'ReturnCodeAction') ?? []).map((node) => [
      node.getAttribute('ReturnCode'),
      node.getAttribute('Action'),
    ]);
    expect(actions).toEqual([
      ['0', 'RestartShell'],
      ['1', 'RestartShell'],
    ]);
    expect(shell?.getElementsByTagNameNS(V1, 'DefaultAction')[0]?.getAttribute('Action')).toBe('RestartShell');
    const config = document.getElementsByTagNameNS(V1, 'Config')[0];
    expect(config?.getElementsByTagNameNS(V1, 'Account')[0]?.getAttribute('Name')).toBe('DCK-Kiosk');
    expect(config?.getElementsByTagNameNS(V1, 'Profile')[0]?.getAttribute('Id')).toBe(profile?.getAttribute('Id'));
  });
});

describe('build/kiosk/kiosk.example.json', () => {
  it('is a configuration the kiosk accepts', () => {
    const parsed = parseKioskConfig(JSON.parse(readFileSync(join(repoRoot, 'build/kiosk/kiosk.example.json'), 'utf8')));
    expect(parsed.issuer.url).toBe('https://issuer.example.org');
  });
});

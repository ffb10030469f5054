// The Electron shell's command line: which app (kiosk, --agent, --pc) and `--pc`'s settings, read by name out of an
// argv that also holds Electron's binary, the bundle and Chromium's own switches.
import { describe, expect, it } from 'vitest';
import { pcShellSettings, shellApp } from '../../../../main/electron/shell-args.ts';

const ELECTRON = ['/opt/dck/electron', '/opt/dck/out/electron/main.mjs'];

describe('electron shell: which app', () => {
  it.each([
    [[], 'kiosk'],
    [['--demo'], 'kiosk'],
    [['--agent', '--issuer', 'https://issuer.example', '--ca', 'ca.pem'], 'agent'],
    [['--pc'], 'pc'],
    [['--enable-logging', '--pc', '--state', '/tmp/pc'], 'pc'],
  ])('%j → %s', (args, app) => {
    expect(shellApp([...ELECTRON, ...args])).toEqual({ ok: true, app });
  });

  it('refuses --agent and --pc together', () => {
    expect(shellApp([...ELECTRON, '--pc', '--agent'])).toEqual({
      ok: false,
      problem: '--agent and --pc are two different apps: give one of them',
    });
  });
});

describe('electron --pc settings', () => {
  it('reads every option of `dck pc --browser`, in both spellings, beside switches it does not know', () => {
    expect(
      pcShellSettings(
        [
          ...ELECTRON,
          '--pc',
          '--issuer',
          'https://issuer.example:8443',
          '--ca=/etc/dck/ca.pem',
          '--store',
          'software',
          '--state=/home/pat/.config/dck/pc',
          '--nss-db',
          'none',
          '--systemd-dir',
          '/home/pat/.config/systemd/user',
          '--enable-logging',
        ],
        '/default/state',
      ),
    ).toEqual({
      ok: true,
      settings: {
        stateDir: '/home/pat/.config/dck/pc',
        protection: 'software',
        issuerUrl: 'https://issuer.example:8443',
        caFile: '/etc/dck/ca.pem',
        nssDb: 'none',
        systemdDir: '/home/pat/.config/systemd/user',
      },
    });
  });

  it('a PC set up before needs nothing more: the default state directory and store', () => {
    expect(pcShellSettings([...ELECTRON, '--pc'], '/default/state')).toEqual({
      ok: true,
      settings: { stateDir: '/default/state', protection: undefined },
    });
  });

  // The rules themselves are pc-app-settings.ts' (its own test); these show they apply to what argv holds.
  it.each([
    [['--store', 'disk'], '--store is tpm or software'],
    [['--issuer', 'https://issuer.example'], '--issuer URL and --ca FILE go together'],
    // No value, an empty one, or one that looks like an option: refused as the CLI refuses it.
    [['--state='], '--state needs a value'],
    [['--state', ''], '--state needs a value'],
    [['--nss-db'], '--nss-db needs a value'],
    [['--issuer', '--ca', 'ca.pem'], '--issuer needs a value'],
  ])('refuses %j: %s', (args, problem) => {
    expect(pcShellSettings([...ELECTRON, '--pc', ...args], '/default/state')).toEqual({ ok: false, problem });
  });
});

// The Electron shell's `--agent` command line: an https issuer and its CA file, else a sentence saying what is missing.
import { describe, expect, it } from 'vitest';
import { agentShellOptions } from '../../../../main/electron/agent-options.ts';

describe('electron --agent options', () => {
  it.each([
    [['--agent', '--issuer', 'https://issuer.example:8443/', '--ca', '/etc/dck/ca.pem']],
    [['--agent', '--issuer=https://issuer.example:8443', '--ca=/etc/dck/ca.pem']],
  ])('reads %j', (argv) => {
    expect(agentShellOptions(argv)).toEqual({
      ok: true,
      issuerUrl: 'https://issuer.example:8443',
      caFile: '/etc/dck/ca.pem',
    });
  });

  it.each([
    [['--agent'], '--agent needs --issuer https://host:port and --ca FILE'],
    [
      ['--agent', '--issuer', 'https://issuer.example', '--ca'],
      '--agent needs --issuer https://host:port and --ca FILE',
    ],
    [['--agent', '--issuer', '--ca', 'ca.pem'], '--agent needs --issuer https://host:port and --ca FILE'],
    [['--agent', '--issuer', 'not a url', '--ca', 'ca.pem'], '--issuer is not a URL'],
    [['--agent', '--issuer', 'http://issuer.example', '--ca', 'ca.pem'], '--issuer must be an https:// URL'],
  ])('refuses %j', (argv, problem) => {
    expect(agentShellOptions(argv)).toEqual({ ok: false, problem });
  });
});

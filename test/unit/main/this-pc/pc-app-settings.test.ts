// The "Set up this PC" app's option rules, shared by `dck pc --browser` and Electron's `--pc`.
import { describe, expect, it } from 'vitest';
import { pcAppSettings } from '../../../../main/this-pc/pc-app-settings.ts';

describe('"Set up this PC" app settings', () => {
  it('takes each option, the state directory by default', () => {
    expect(pcAppSettings({ '--issuer': 'https://issuer.example', '--ca': 'ca.pem', '--store': 'tpm' }, '/d')).toEqual({
      ok: true,
      settings: { stateDir: '/d', protection: 'tpm', issuerUrl: 'https://issuer.example', caFile: 'ca.pem' },
    });
  });

  it.each([
    [{ '--store': 'disk' }, '--store is tpm or software'],
    [{ '--store': 'TPM' }, '--store is tpm or software'],
    [{ '--issuer': 'https://issuer.example' }, '--issuer URL and --ca FILE go together'],
    [{ '--ca': 'ca.pem' }, '--issuer URL and --ca FILE go together'],
  ])('refuses %j: %s', (values, problem) => {
    expect(pcAppSettings(values, '/d')).toEqual({ ok: false, problem });
  });
});

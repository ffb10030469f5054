// The `ca` section's three shapes, and a bad PKCS#11 section stopping the service with the offending field named
// (a plain union would only say "ca: matches no variant").
import { describe, expect, it } from 'vitest';
import { ConfigError, parseIssuerConfig } from '../../../../issuer/config.ts';

const good = {
  module: '/usr/lib/softhsm/libsofthsm2.so',
  tokenLabel: 'dck-ca',
  keyId: 'ca01',
  pinFile: '/etc/dck/ca-pin',
  certificateFile: '/etc/dck/ca.pem',
};

function fieldOf(ca: unknown): string {
  try {
    parseIssuerConfig({ ca });
  } catch (error) {
    if (error instanceof ConfigError) return `${error.field}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('issuer config: ca section', () => {
  it('accepts null, key files, and a token with a PIN file or a PIN variable', () => {
    expect(parseIssuerConfig({}).ca).toBeNull();
    expect(parseIssuerConfig({ ca: { certificateFile: '/a.pem', keyFile: '/a.key' } }).ca).toEqual({
      certificateFile: '/a.pem',
      keyFile: '/a.key',
    });
    expect(parseIssuerConfig({ ca: { pkcs11: good } }).ca).toEqual({ pkcs11: good });
    const { pinFile: _unused, ...withoutFile } = good;
    expect(fieldOf({ pkcs11: { ...withoutFile, pinEnv: 'DCK_CA_PIN' } })).toBe('accepted');
  });

  it.each([
    [{ pkcs11: { ...good, keyId: 'xyz' } }, 'ca.pkcs11.keyId'],
    [{ pkcs11: { ...good, keyId: 'abc' } }, 'ca.pkcs11.keyId'],
    [{ pkcs11: { ...good, module: 'libsofthsm2.so' } }, 'ca.pkcs11.module'],
    [{ pkcs11: { ...good, tokenLabel: 'x'.repeat(33) } }, 'ca.pkcs11.tokenLabel'],
    [{ pkcs11: { ...good, certificateFile: undefined } }, 'ca.pkcs11.certificateFile'],
    [{ pkcs11: { ...good, pin: '123456' } }, 'ca.pkcs11.pin'],
    [{ pkcs11: { ...good, pinFile: undefined } }, 'ca.pkcs11.pinFile'],
    [{ pkcs11: { ...good, pinEnv: 'DCK_CA_PIN' } }, 'ca.pkcs11.pinFile'],
    [{ pkcs11: { ...good, pinFile: undefined, pinEnv: 'bad name' } }, 'ca.pkcs11.pinEnv'],
    [{ pkcs11: good, keyFile: '/a.key' }, 'ca.keyFile'],
    [{ certificateFile: '/a.pem' }, 'ca.keyFile'],
    ['/a.pem', 'ca'],
  ])('names the field of a bad section %#', (ca, field) => {
    expect(fieldOf(ca).split(':')[0]).toBe(field);
  });

  it('never echoes a PIN put in the config by mistake', () => {
    expect(fieldOf({ pkcs11: { ...good, pin: '864213' } })).not.toContain('864213');
  });
});

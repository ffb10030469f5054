// Reading certreq/certutil/PowerShell output: the HRESULT decides (any display language), exit codes as Windows
// hands them to Node, and hostile listings refused.
import { describe, expect, it } from 'vitest';
import {
  keyIdOfFriendlyName,
  parseStoreListing,
  toolVerdict,
} from '../../../../../native/device-keys/windows/certreq-output.ts';
import { TRANSCRIPTS } from './fake-windows-commands.ts';

const THUMB = 'A'.repeat(40);

describe('toolVerdict', () => {
  it('takes exit code 0 as success whatever the words', () => {
    expect(toolVerdict({ exitCode: 0, stdout: TRANSCRIPTS.created, stderr: '' })).toEqual({ ok: true });
    expect(toolVerdict({ exitCode: 0, stdout: 'CertReq : Demande créée', stderr: '' })).toEqual({ ok: true });
  });

  it.each([
    [TRANSCRIPTS.noTpm, 'no-platform-store', '0x80090030'],
    [TRANSCRIPTS.notFound, 'certificate-key-mismatch', '0x80092004'],
    [TRANSCRIPTS.badKeyset, 'no-such-key', '0x80090016'],
    [
      'Zertifikatanforderungsprozessor: Das Gerät ist nicht bereit. 0x80090030 (-2146893776 NTE_DEVICE_NOT_READY)',
      'no-platform-store',
      '0x80090030',
    ],
    ['TPM: lockout 0x80280921', 'store-busy', '0x80280921'],
    ['something new 0x8007000e (E_OUTOFMEMORY)', 'store-failed', '0x8007000E'],
  ])('maps %j to %s', (stdout, code, hresult) => {
    expect(toolVerdict({ exitCode: 1, stdout, stderr: '' })).toEqual({ ok: false, code, hresult });
  });

  it('reads the HRESULT from a negative exit code when the text has none', () => {
    expect(toolVerdict({ exitCode: 0x8028400f | 0, stdout: '', stderr: '' })).toEqual({
      ok: false,
      code: 'no-platform-store',
      hresult: '0x8028400F',
    });
    expect(toolVerdict({ exitCode: 2, stdout: 'no number here', stderr: '' })).toEqual({
      ok: false,
      code: 'store-failed',
      hresult: null,
    });
  });
});

describe('parseStoreListing', () => {
  const entry = { Thumbprint: THUMB, FriendlyName: 'Example Agency (0123456789abcdef)', RawData: 'MIIB' };

  it('reads nothing, one bare object, and an array', () => {
    expect(parseStoreListing('  \r\n')).toEqual([]);
    expect(parseStoreListing(JSON.stringify(entry))).toHaveLength(1);
    expect(parseStoreListing(JSON.stringify([entry, entry]))).toHaveLength(2);
  });

  it.each([
    ['not JSON', 'Get-ChildItem : access denied'],
    ['a number', '42'],
    ['no thumbprint', JSON.stringify({ ...entry, Thumbprint: undefined })],
    ['a short thumbprint', JSON.stringify({ ...entry, Thumbprint: 'ABCD' })],
    ['a friendly name that is not text', JSON.stringify({ ...entry, FriendlyName: { evil: true } })],
    ['raw data that is not base64', JSON.stringify({ ...entry, RawData: '<script>' })],
    ['raw data too large', JSON.stringify({ ...entry, RawData: 'A'.repeat(70_000) })],
  ])('refuses %s', (_what, json) => {
    expect(() => parseStoreListing(json)).toThrow(SyntaxError);
  });

  it('finds the key id only at the end of a name the store wrote', () => {
    expect(keyIdOfFriendlyName('Example Agency (0123456789abcdef)')).toBe('0123456789abcdef');
    expect(keyIdOfFriendlyName('(0123456789abcdef) someone else')).toBeNull();
    expect(keyIdOfFriendlyName('Wi-Fi (0123456789ABCDEF)')).toBeNull();
  });
});

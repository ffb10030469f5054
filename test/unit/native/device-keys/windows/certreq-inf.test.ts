// The certreq request file: byte-for-byte golden output for the TPM and the software provider, and hostile names
// that would otherwise end the INF line and open a section of their own.
import { describe, expect, it } from 'vitest';
import { certreqInf } from '../../../../../native/device-keys/windows/certreq-inf.ts';

const TPM_GOLDEN = [
  '[Version]',
  'Signature = "$Windows NT$"',
  '',
  '[NewRequest]',
  'Subject = "CN=Zoë O\'Brien"',
  'MachineKeySet = FALSE',
  'KeyAlgorithm = ECDSA_P256',
  'KeyLength = 256',
  'HashAlgorithm = SHA256',
  'KeyUsage = 0x80',
  'KeyUsageProperty = 2',
  'Exportable = FALSE',
  'ProviderName = "Microsoft Platform Crypto Provider"',
  'KeyContainer = "dck-0123456789abcdef"',
  'FriendlyName = "Example Agency (0123456789abcdef)"',
  'RequestType = PKCS10',
  'SMIME = FALSE',
  'Silent = TRUE',
  '',
].join('\r\n');

const request = {
  keyId: '0123456789abcdef',
  commonName: "Zoë O'Brien",
  label: 'Example Agency',
  protection: 'tpm',
} as const;

describe('certreqInf', () => {
  it('asks the Platform Crypto Provider for a non-exportable P-256 user key (golden)', () => {
    expect(certreqInf(request)).toBe(TPM_GOLDEN);
  });

  it('differs for software keys only in the provider', () => {
    const software = certreqInf({ ...request, protection: 'software' });
    expect(software).toBe(
      TPM_GOLDEN.replace('Microsoft Platform Crypto Provider', 'Microsoft Software Key Storage Provider'),
    );
  });

  it.each([
    ['a line break that opens a section', 'Agency\r\n[Extensions]\r\n2.5.29.17 = "{text}"'],
    ['a quote that ends the value', 'Agency" \r\nExportable = TRUE'],
    ['a bare quote', 'Agency"'],
    ['a control character', 'Agency\u0000'],
    ['a semicolon (INF comment)', 'Agency; Exportable = TRUE'],
    ['nothing', ''],
    ['more than 64 characters', 'A'.repeat(65)],
  ])('refuses a label with %s', (_what, label) => {
    expect(() => certreqInf({ ...request, label })).toThrow(expect.objectContaining({ code: 'bad-request' }));
    expect(() => certreqInf({ ...request, commonName: label })).toThrow(
      expect.objectContaining({ code: 'bad-request' }),
    );
  });

  it("refuses a key id that is not the store's own form", () => {
    expect(() => certreqInf({ ...request, keyId: '0123456789ABCDEF' })).toThrow(RangeError);
    expect(() => certreqInf({ ...request, keyId: 'dck" \r\nx' })).toThrow(RangeError);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { keyAlgorithmOf, summarizeCertificate } from '../../../piv/certificate-summary.ts';
import { encodeFascn } from '../../../piv/fascn.ts';
import { randomBytes, seededRandom } from './scripted-transport.ts';
import { makeCardKey, PIV_AUTH_POLICY } from './test-pki.ts';
import type { CardKey } from './test-pki.ts';
import { codeOf } from './error-code.ts';

let rsa: CardKey;
let p384: CardKey;

beforeAll(async () => {
  rsa = await makeCardKey('RSA-2048', { commonName: 'Grace Hopper' });
  p384 = await makeCardKey('ECC-P384', {
    fascn: null,
    uuid: null,
    policies: ['2.16.840.1.101.3.2.1.3.7', PIV_AUTH_POLICY],
  });
});

describe('certificate summary', () => {
  it('summarises an RSA-2048 PIV Auth certificate with FASC-N and UUID from the SAN', () => {
    const s = summarizeCertificate(rsa.certificateDer);
    expect(s).toMatchObject({
      subject: 'CN=Grace Hopper, OU=People, O=Test Agency, C=US',
      commonName: 'Grace Hopper',
      issuer: 'CN=Test PIV CA, O=Derived Credential Kiosk Tests',
      serialNumber: '1a2b3c4d',
      notBefore: '2025-01-01T00:00:00.000Z',
      notAfter: '2031-01-01T00:00:00.000Z',
      keyAlgorithm: 'RSA',
      keySize: 2048,
      curve: null,
      policyOids: [PIV_AUTH_POLICY],
      uuid: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
    });
    expect(s.fascn).toMatchObject({ agencyCode: '9999', credentialNumber: '999999', parityOk: true, lrcOk: true });
    expect(s.sha256Fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(keyAlgorithmOf(s)).toBe('RSA-2048');
  });

  it('P-384 without PIV SAN entries: curve and policies, nulls for FASC-N and UUID', () => {
    const s = summarizeCertificate(p384.certificateDer);
    expect(s).toMatchObject({ keyAlgorithm: 'EC', keySize: null, curve: 'P-384', fascn: null, uuid: null });
    expect(s.policyOids).toEqual(['2.16.840.1.101.3.2.1.3.7', PIV_AUTH_POLICY]);
    expect(keyAlgorithmOf(s)).toBe('ECC-P384');
  });

  it('a FASC-N with a different agency is decoded from the SAN', async () => {
    const fascn = encodeFascn({
      agencyCode: '1234',
      systemCode: '5678',
      credentialNumber: '000042',
      credentialSeries: '1',
      individualCredentialIssue: '2',
      personIdentifier: '0123456789',
      organizationalCategory: '1',
      organizationalIdentifier: '1234',
      personOrganizationAssociation: '2',
    });
    const key = await makeCardKey('ECC-P256', { fascn });
    expect(summarizeCertificate(key.certificateDer).fascn).toMatchObject({
      agencyCode: '1234',
      personIdentifier: '0123456789',
    });
  });

  it('hostile certificate bytes give malformed-certificate, never a crash', () => {
    const der = rsa.certificateDer;
    const next = seededRandom(99);
    const inputs: Uint8Array[] = [
      new Uint8Array(0),
      der.subarray(0, 100),
      der.subarray(0, der.length - 1),
      randomBytes(next, 500),
      new Uint8Array(70_000),
    ];
    for (let i = 0; i < 300; i += 1) {
      const mutated = Uint8Array.from(der);
      for (let k = 0; k < 1 + next(4); k += 1) mutated[next(mutated.length)] = next(256);
      inputs.push(mutated);
    }
    for (const input of inputs) {
      const code = codeOf(() => summarizeCertificate(input));
      expect(['no error', 'malformed-certificate']).toContain(code);
    }
    expect(codeOf(() => summarizeCertificate(der.subarray(0, 100)))).toBe('malformed-certificate');
  });
});

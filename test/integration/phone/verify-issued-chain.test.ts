// The phone refuses a returned certificate unless it is for its own key, chains to the issuer's CA and has the
// derived PIV Authentication profile.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type TestCertificateAuthority } from '../../../virtual-card/test-pki.ts';
import { createKeyAndCsr, type PhoneKeyAndCsr } from '../../../phone/key-and-csr.ts';
import { DERIVED_PIV_AUTH_POLICY, verifyIssuedChain } from '../../../phone/verify-issued-chain.ts';

const crypto = webcrypto as unknown as Crypto;
let root: TestCertificateAuthority;
let issuingCa: TestCertificateAuthority;
let strangerCa: TestCertificateAuthority;
let phone: PhoneKeyAndCsr;

async function derivedCertificate(
  options: {
    ca?: TestCertificateAuthority;
    spki?: Uint8Array;
    policies?: string[];
    eku?: string[];
    notAfter?: Date;
  } = {},
): Promise<string> {
  const ca = options.ca ?? issuingCa;
  const publicKey = await crypto.subtle.importKey(
    'spki',
    new Uint8Array(options.spki ?? phone.publicKeySpki),
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['verify'],
  );
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: '0a1b2c3d4e5f',
      subject: 'CN=Pat Cardholder (derived)',
      issuer: ca.certificate.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: options.notAfter ?? new Date(Date.now() + 86_400_000),
      publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: ca.signingAlgorithm,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(options.eku ?? ['1.3.6.1.5.5.7.3.2'], false),
        new x509.CertificatePolicyExtension(options.policies ?? [DERIVED_PIV_AUTH_POLICY], false),
        new x509.SubjectAlternativeNameExtension([
          { type: 'url', value: 'urn:uuid:3c1a2b4d-0000-4000-8000-00000000abcd' },
        ]),
      ],
    },
    crypto,
  );
  return certificate.toString('pem');
}

beforeAll(async () => {
  root = await createCertificateAuthority({ commonName: 'Derived Root' });
  issuingCa = await createCertificateAuthority({ commonName: 'Derived Issuing CA', issuer: root });
  strangerCa = await createCertificateAuthority({ commonName: 'Derived Issuing CA' }); // same name, other key
  phone = await createKeyAndCsr();
});

describe('verifyIssuedChain', () => {
  it('the CSR is a PKCS#10 request for the phone key with a valid self-signature', async () => {
    const csr = new x509.Pkcs10CertificateRequest(phone.csrPem);
    expect(await csr.verify(crypto)).toBe(true);
    expect(Buffer.from(csr.publicKey.rawData).equals(Buffer.from(phone.publicKeySpki))).toBe(true);
  });

  it("accepts a derived certificate for our key issued by the issuer's CA, anchored at the CA or at its root", async () => {
    const certificatePem = await derivedCertificate();
    const chainPem = [issuingCa.certificate.toString('pem'), root.certificate.toString('pem')];
    const atCa = await verifyIssuedChain({
      certificatePem,
      chainPem,
      trustedCaPem: issuingCa.certificate.toString('pem'),
      publicKeySpki: phone.publicKeySpki,
    });
    expect(atCa).toMatchObject({
      ok: true,
      summary: { uuid: '3c1a2b4d-0000-4000-8000-00000000abcd', serialNumberHex: '0a1b2c3d4e5f' },
    });
    const atRoot = await verifyIssuedChain({
      certificatePem,
      chainPem,
      trustedCaPem: root.certificate.toString('pem'),
      publicKeySpki: phone.publicKeySpki,
    });
    expect(atRoot.ok).toBe(true);
  });

  it('refuses a certificate for another key', async () => {
    const other = await createKeyAndCsr();
    const certificatePem = await derivedCertificate({ spki: other.publicKeySpki });
    const result = await verifyIssuedChain({
      certificatePem,
      chainPem: [],
      trustedCaPem: issuingCa.certificate.toString('pem'),
      publicKeySpki: phone.publicKeySpki,
    });
    expect(result).toMatchObject({
      ok: false,
      code: 'chain-invalid',
      message: 'the certificate is not for the key this phone generated',
    });
  });

  it('refuses a certificate from a look-alike CA (same name, other key)', async () => {
    const certificatePem = await derivedCertificate({ ca: strangerCa });
    const result = await verifyIssuedChain({
      certificatePem,
      chainPem: [strangerCa.certificate.toString('pem')],
      trustedCaPem: issuingCa.certificate.toString('pem'),
      publicKeySpki: phone.publicKeySpki,
    });
    expect(result).toMatchObject({ ok: false, code: 'chain-invalid' });
    expect(result.ok ? '' : result.message).toContain('does not chain');
  });

  it('refuses a certificate without the derived PIV Authentication policy or clientAuth', async () => {
    const trustedCaPem = issuingCa.certificate.toString('pem');
    const noPolicy = await verifyIssuedChain({
      certificatePem: await derivedCertificate({ policies: ['2.16.840.1.101.3.2.1.3.13'] }),
      chainPem: [],
      trustedCaPem,
      publicKeySpki: phone.publicKeySpki,
    });
    expect(noPolicy.ok ? '' : noPolicy.message).toContain(DERIVED_PIV_AUTH_POLICY);
    const noClientAuth = await verifyIssuedChain({
      certificatePem: await derivedCertificate({ eku: ['1.3.6.1.5.5.7.3.4'] }),
      chainPem: [],
      trustedCaPem,
      publicKeySpki: phone.publicKeySpki,
    });
    expect(noClientAuth.ok ? '' : noClientAuth.message).toContain('clientAuth');
  });

  it('refuses garbage PEM', async () => {
    const result = await verifyIssuedChain({
      certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
      chainPem: [],
      trustedCaPem: issuingCa.certificate.toString('pem'),
      publicKeySpki: phone.publicKeySpki,
    });
    expect(result).toMatchObject({ ok: false, code: 'chain-invalid' });
  });
});

import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as x509 from '@peculiar/x509';
import { DEFAULT_TEST_FASCN_HEX, PIV_AUTH_POLICY_OID, createTestPki } from '../../../virtual-card/test-pki.ts';
import type { TestPki } from '../../../virtual-card/test-pki.ts';

let pki: TestPki;
const workDir = mkdtempSync(join(tmpdir(), 'dck-test-pki-'));

function pem(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

beforeAll(async () => {
  pki = await createTestPki();
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('test PKI', () => {
  it.each(['RSA-2048', 'P-256', 'P-384'] as const)(
    'issues a %s PIV Auth certificate that openssl verifies up to the root',
    async (keyAlgorithm) => {
      const card = await pki.issueCardCertificate({
        keyAlgorithm,
        commonName: 'Test Holder',
        uuid: '12345678-90ab-cdef-1234-567890abcdef',
      });
      const files = {
        root: join(workDir, 'root.pem'),
        inter: join(workDir, 'inter.pem'),
        leaf: join(workDir, `leaf-${keyAlgorithm}.pem`),
      };
      writeFileSync(files.root, pem('CERTIFICATE', pki.root.der));
      writeFileSync(files.inter, pem('CERTIFICATE', pki.intermediate.der));
      writeFileSync(files.leaf, pem('CERTIFICATE', card.der));
      const verdict = execFileSync(
        'openssl',
        ['verify', '-CAfile', files.root, '-untrusted', files.inter, files.leaf],
        { encoding: 'utf8' },
      );
      expect(verdict).toContain(': OK');
      const text = execFileSync('openssl', ['x509', '-in', files.leaf, '-noout', '-text'], { encoding: 'utf8' });
      expect(text).toContain('2.16.840.1.101.3.6.6');
      expect(text).toContain('URI:urn:uuid:12345678-90ab-cdef-1234-567890abcdef');
      expect(text).toContain(PIV_AUTH_POLICY_OID);
      expect(text).toMatch(/Key Usage: critical\s+Digital Signature\s*\n/);
      expect(text).toContain('TLS Web Client Authentication');
      // The FASC-N otherName holds the 25 bytes as an OCTET STRING (04 19 …).
      expect(Buffer.from(card.der).toString('hex')).toContain(`0419${DEFAULT_TEST_FASCN_HEX}`);
      expect(card.privateKeyPkcs8.length).toBeGreaterThan(60);
    },
  );

  it('puts CRL and OCSP URLs only when asked, and honours validity dates', async () => {
    const notAfter = new Date(Date.now() - 86_400_000);
    const notBefore = new Date(Date.now() - 10 * 86_400_000);
    const card = await pki.issueCardCertificate({
      keyAlgorithm: 'P-256',
      commonName: 'Expired',
      notBefore,
      notAfter,
      crlUrl: 'http://127.0.0.1:9/test.crl',
      ocspUrl: 'http://127.0.0.1:9/ocsp',
    });
    expect(card.certificate.notAfter.getTime()).toBe(Math.floor(notAfter.getTime() / 1000) * 1000);
    expect(card.certificate.getExtension(x509.CRLDistributionPointsExtension)).not.toBeNull();
    expect(card.certificate.getExtension(x509.AuthorityInfoAccessExtension)?.ocsp[0]?.value).toBe(
      'http://127.0.0.1:9/ocsp',
    );
    const plain = await pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Plain' });
    expect(plain.certificate.getExtension(x509.CRLDistributionPointsExtension)).toBeNull();
  });

  it('exposes CA keys that can sign a CRL the issuer certificate verifies', async () => {
    const crl = await x509.X509CrlGenerator.create({
      issuer: pki.intermediate.certificate.subject,
      thisUpdate: new Date(),
      entries: [{ serialNumber: '01', revocationDate: new Date() }],
      signingKey: pki.intermediate.keys.privateKey,
      signingAlgorithm: pki.intermediate.signingAlgorithm,
    });
    expect(await crl.verify({ publicKey: pki.intermediate.certificate })).toBe(true);
  });

  it('refuses a malformed FASC-N or UUID', async () => {
    await expect(pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'x', fascn: 'abcd' })).rejects.toThrow(
      /25 bytes/,
    );
    await expect(pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'x', uuid: 'nope' })).rejects.toThrow(
      /uuid/,
    );
  });
});

// The binding record's CRL and OCSP URLs (issuer/pki-auth/revocation/revocation-urls.ts, the strict DER reader)
// against @peculiar/x509's reading of the same extensions, on every certificate of NIST PKITS and GSA's ICAM test
// cards that @peculiar/x509 parses: two independent parsers must agree on real-world encodings.
import 'reflect-metadata';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { readCertificateFields } from '../../issuer/pki-auth/certificate-fields.ts';
import { crlDistributionUrls, ocspUrls } from '../../issuer/pki-auth/revocation/revocation-urls.ts';
import { conformanceMaterial, missingMaterialIsFatal } from './material.ts';

const material = conformanceMaterial('icam');

/** Every .crt / .der file under `dir`, recursively. */
function certificateFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return certificateFiles(path);
    return /\.(crt|der|cer)$/.test(entry.name) ? [path] : [];
  });
}

interface Urls {
  crl: string[];
  ocsp: string[];
}

function byPeculiar(der: Uint8Array): Urls | null {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(der.slice());
  } catch {
    return null; // not a certificate (the ICAM set has other DER objects too)
  }
  const points = certificate.getExtension(x509.CRLDistributionPointsExtension)?.distributionPoints ?? [];
  const crl = points
    .flatMap((point) => point.distributionPoint?.fullName ?? [])
    .flatMap((name) => (name.uniformResourceIdentifier === undefined ? [] : [name.uniformResourceIdentifier]));
  const access = certificate.getExtension(x509.AuthorityInfoAccessExtension);
  const ocsp = (access?.ocsp ?? []).filter((name) => name.type === 'url').map((name) => name.value);
  return { crl, ocsp };
}

function byStrictReader(der: Uint8Array): Urls {
  const { extensions } = readCertificateFields(der);
  return {
    crl: extensions.crlDistributionPoints === null ? [] : crlDistributionUrls(extensions.crlDistributionPoints),
    ocsp: extensions.authorityInfoAccess === null ? [] : ocspUrls(extensions.authorityInfoAccess),
  };
}

if (!material.found) {
  describe('revocation URLs on public test certificates', () => {
    if (missingMaterialIsFatal()) {
      it('finds the conformance material (required under CI)', () => {
        expect.fail(material.reason);
      });
    } else {
      // Skipped only outside CI, on a checkout without ../shared/conformance (material that must never be copied
      // into the repository). Under CI the branch above fails instead.
      console.log(`revocation URL cross-check skipped: ${material.reason}`);
      it.skip(`skipped: ${material.reason}`, () => undefined);
    }
  });
} else {
  describe('revocation URLs on public test certificates', () => {
    it('agree with @peculiar/x509 on every PKITS and ICAM certificate it parses', () => {
      const files = [...certificateFiles(join(material.dir, 'pkits')), ...certificateFiles(join(material.dir, 'icam'))];
      let compared = 0;
      let withUrls = 0;
      for (const file of files) {
        const der = new Uint8Array(readFileSync(file));
        const expected = byPeculiar(der);
        if (expected === null) continue;
        let actual: Urls;
        try {
          actual = byStrictReader(der);
        } catch {
          continue; // refused by the strict reader: PKI-AUTH never accepts such a card, so no binding reads it
        }
        expect({ file, ...actual }).toEqual({ file, ...expected });
        compared += 1;
        if (expected.crl.length + expected.ocsp.length > 0) withUrls += 1;
      }
      // Enough real encodings to mean something (2026-12-06: 953 certificates compared, 512 of them with URLs).
      expect(compared).toBeGreaterThan(400);
      expect(withUrls).toBeGreaterThan(100);
    });
  });
}

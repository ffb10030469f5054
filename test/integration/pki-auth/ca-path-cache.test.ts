// The cached part of path validation (issuer/pki-auth/ca-path.ts: the CA part's signatures, per exact CA
// certificates) and the checks that run on every call (revocation, the card's own signature). These tests warm
// that cache and then change the world under it: revocations published afterwards, a second intermediate with the
// same name. Refresh rule under test: CRL files are re-read when their mtime or size changes (URLs every 5 min or at
// nextUpdate), and revocation is asked on every call whatever the cache holds.
import 'reflect-metadata';
import { KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, Name as AsnName, NameConstraints } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_CA_POLICY_OIDS,
  createCertificateAuthority,
  createTestPki,
  generateKeyPair,
  issueCardCertificate,
  type IssuedCardCertificate,
  type TestCertificateAuthority,
  type TestPki,
} from '../../../virtual-card/test-pki.ts';
import { verifyCardAuthentication, type PivTrustPolicy } from '../../../issuer/pki-auth/verify-card-authentication.ts';
import { buildCrl } from '../../../virtual-card/revocation.ts';
import { signPkiAuth } from './card-signature.ts';

let pki: TestPki;
let workDir: string;
let fileCount = 0;

beforeAll(async () => {
  pki = await createTestPki();
  workDir = mkdtempSync(join(tmpdir(), 'dck-ca-path-cache-'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

async function crlFile(issuer: TestCertificateAuthority, revokedSerials: string[] = []): Promise<string> {
  fileCount += 1;
  const file = join(workDir, `crl-${fileCount}.der`);
  writeFileSync(file, await buildCrl({ issuer, revokedSerials }));
  return file;
}

function policyWith(crlFiles: string[], intermediates: Uint8Array[] = [pki.intermediate.der]): PivTrustPolicy {
  return {
    trustAnchorsDer: [pki.root.der],
    intermediatesDer: intermediates,
    requiredPolicyOids: ['2.16.840.1.101.3.2.1.3.13'],
    crlUrls: [],
    crlFiles,
    ocspUrl: null,
  };
}

function authenticate(card: IssuedCardCertificate, policy: PivTrustPolicy) {
  const issuerNonce = randomBytes(32);
  const { kioskNonce, signature } = signPkiAuth(KeyObject.from(card.keys.privateKey), 'P-256', issuerNonce);
  return verifyCardAuthentication({ issuerNonce, kioskNonce, signature, certificateDer: card.der }, policy);
}

const newCard = (issuer: TestCertificateAuthority = pki.intermediate) =>
  issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Pat Cardholder', issuer });

describe('CA-part cache: revocations published after it warmed', () => {
  it('a root CRL revoking the intermediate is honoured for new and returning cards once the new file is in place', async () => {
    const rootCrl = await crlFile(pki.root);
    const policy = policyWith([rootCrl, await crlFile(pki.intermediate)]);
    const returning = await newCard();
    expect((await authenticate(returning, policy)).ok).toBe(true);
    expect((await authenticate(await newCard(), policy)).ok).toBe(true); // served by the warm CA-part verdict

    writeFileSync(
      rootCrl,
      await buildCrl({ issuer: pki.root, revokedSerials: [pki.intermediate.certificate.serialNumber] }),
    );
    expect(await authenticate(await newCard(), policy)).toMatchObject({ ok: false, code: 'revoked' });
    expect(await authenticate(returning, policy)).toMatchObject({ ok: false, code: 'revoked' });
  });

  it('an intermediate CRL revoking one card refuses that card only; other new cards still pass', async () => {
    const intermediateCrl = await crlFile(pki.intermediate);
    const policy = policyWith([await crlFile(pki.root), intermediateCrl]);
    const revokedLater = await newCard();
    expect((await authenticate(revokedLater, policy)).ok).toBe(true);

    const neverSeen = await newCard();
    writeFileSync(
      intermediateCrl,
      await buildCrl({
        issuer: pki.intermediate,
        revokedSerials: [revokedLater.certificate.serialNumber, neverSeen.certificate.serialNumber],
      }),
    );
    expect(await authenticate(revokedLater, policy)).toMatchObject({ ok: false, code: 'revoked' });
    expect(await authenticate(neverSeen, policy)).toMatchObject({ ok: false, code: 'revoked' });
    expect((await authenticate(await newCard(), policy)).ok).toBe(true);
  });

  it('a root CRL replaced by one that no longer qualifies (signed by another key) is not an answer, cache or not', async () => {
    const rootCrl = await crlFile(pki.root);
    const policy = policyWith([rootCrl, await crlFile(pki.intermediate)]);
    expect((await authenticate(await newCard(), policy)).ok).toBe(true);
    const stranger = await createCertificateAuthority({ commonName: 'Stranger' });
    writeFileSync(rootCrl, await buildCrl({ issuer: pki.root, signingKey: stranger.keys.privateKey }));
    expect(await authenticate(await newCard(), policy)).toMatchObject({ ok: false, code: 'revocation-unavailable' });
  });
});

describe('CA-part cache: keyed by the exact CA certificates', () => {
  it('a second intermediate with the same name and key identifiers, not signed by the root, is refused after the genuine one warmed the cache', async () => {
    const stranger = await createCertificateAuthority({ commonName: 'Stranger Root' });
    // Names the genuine root as issuer and carries its key identifier, but the signature is the stranger's.
    const forgedIssuer: TestCertificateAuthority = {
      ...stranger,
      certificate: pki.root.certificate,
      keys: { publicKey: pki.root.keys.publicKey, privateKey: stranger.keys.privateKey },
    };
    const forged = await createCertificateAuthority({
      commonName: 'Test PIV Issuing CA',
      issuer: forgedIssuer,
      pathLength: 0,
    });
    expect(forged.certificate.subject).toBe(pki.intermediate.certificate.subject);
    const policy = policyWith(
      [await crlFile(pki.root), await crlFile(pki.intermediate), await crlFile(forged)],
      [pki.intermediate.der, forged.der],
    );
    expect((await authenticate(await newCard(), policy)).ok).toBe(true);
    expect(await authenticate(await newCard(forged), policy)).toMatchObject({ ok: false, code: 'untrusted' });
  });

  it('a genuine second intermediate with the same name (key rollover) is validated on its own and accepted', async () => {
    const rollover = await createCertificateAuthority({
      commonName: 'Test PIV Issuing CA',
      issuer: pki.root,
      pathLength: 0,
    });
    const policy = policyWith(
      [await crlFile(pki.root), await crlFile(pki.intermediate), await crlFile(rollover)],
      [pki.intermediate.der, rollover.der],
    );
    expect((await authenticate(await newCard(), policy)).ok).toBe(true);
    expect((await authenticate(await newCard(rollover), policy)).ok).toBe(true);
  });

  it("a card signed by a key other than its issuing CA's is refused even when that CA part is cached", async () => {
    const policy = policyWith([await crlFile(pki.root), await crlFile(pki.intermediate)]);
    expect((await authenticate(await newCard(), policy)).ok).toBe(true);
    const stranger = await createCertificateAuthority({ commonName: 'Stranger' });
    // Issuer name and key identifier of the genuine intermediate, signature by the stranger.
    const impostor: TestCertificateAuthority = {
      ...stranger,
      certificate: pki.intermediate.certificate,
      keys: { publicKey: pki.intermediate.keys.publicKey, privateKey: stranger.keys.privateKey },
    };
    expect(await authenticate(await newCard(impostor), policy)).toMatchObject({ ok: false, code: 'untrusted' });
  });

  it('a CA below an intermediate with pathLenConstraint 0 is refused', async () => {
    const subCa = await createCertificateAuthority({ commonName: 'Test PIV Sub CA', issuer: pki.intermediate });
    const policy = policyWith(
      [await crlFile(pki.root), await crlFile(pki.intermediate), await crlFile(subCa)],
      [pki.intermediate.der, subCa.der],
    );
    const result = await authenticate(await newCard(subCa), policy);
    expect(result).toMatchObject({ ok: false, code: 'untrusted' });
    expect(result.ok ? '' : result.message).toMatch(/pathLenConstraint/);
  });
});

/** An intermediate under the test root whose nameConstraints permit only `permittedDirectory` (an X.500 name). */
async function constrainedIntermediate(permittedDirectory: string): Promise<TestCertificateAuthority> {
  const keys = await generateKeyPair('P-256');
  const directoryName = AsnConvert.parse(new x509.Name(permittedDirectory).toArrayBuffer(), AsnName);
  const constraints = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees([new GeneralSubtree({ base: new GeneralName({ directoryName }) })]),
  });
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '7e01',
    subject: 'CN=Constrained Issuing CA, O=Derived Credential Kiosk Test, C=US',
    issuer: pki.root.certificate.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey: pki.root.keys.privateKey,
    signingAlgorithm: pki.root.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(pki.root.keys.publicKey),
      new x509.Extension('2.5.29.30', true, AsnConvert.serialize(constraints)),
      new x509.CertificatePolicyExtension([...TEST_CA_POLICY_OIDS], false),
    ],
  });
  return {
    certificate,
    der: new Uint8Array(certificate.rawData),
    keys,
    privateKeyPkcs8: new Uint8Array(0),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
    keyAlgorithm: 'P-256',
  };
}

describe('name constraints', () => {
  it('of the issuing CA are enforced: a card inside the permitted subtree passes, one outside is untrusted', async () => {
    // @peculiar/x509 writes RDNs in the order of the string, so the test PKI's card DN starts with its CN and
    // OU: "CN=Pat Cardholder, OU=Test Agency" is the subtree (a leading run of RDNs) the card lies in.
    const inside = await constrainedIntermediate('CN=Pat Cardholder, OU=Test Agency');
    const outside = await constrainedIntermediate('O=Some Other Agency, C=US');
    const policy = policyWith(
      [await crlFile(pki.root), await crlFile(inside), await crlFile(outside)],
      [inside.der, outside.der],
    );
    expect(await authenticate(await newCard(inside), policy)).toMatchObject({ ok: true });
    const refused = await authenticate(await newCard(outside), policy);
    expect(refused).toMatchObject({ ok: false, code: 'untrusted' });
    expect(refused.ok ? '' : refused.message).toMatch(/outside the permitted name subtrees/);
  });
});

/** The test PKI's intermediate re-issued by the root: same name, same key, other validity or policies. */
async function reissuedIntermediate(options: {
  notAfter?: Date;
  policies?: readonly string[];
  serialNumber: string;
}): Promise<TestCertificateAuthority> {
  const { keys } = pki.intermediate;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(pki.root.keys.publicKey),
  ];
  const policies = options.policies ?? TEST_CA_POLICY_OIDS;
  if (policies.length > 0) extensions.push(new x509.CertificatePolicyExtension([...policies], false));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber,
    subject: pki.intermediate.certificate.subject,
    issuer: pki.root.certificate.subject,
    notBefore: new Date(Date.now() - 2 * 86_400_000),
    notAfter: options.notAfter ?? new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey: pki.root.keys.privateKey,
    signingAlgorithm: pki.root.signingAlgorithm,
    extensions,
  });
  return { ...pki.intermediate, certificate, der: new Uint8Array(certificate.rawData) };
}

describe('every candidate path is tried (issue #9 defect 5)', () => {
  it('the verdict does not depend on the order of configured CA certificates sharing a name and key', async () => {
    const expired = await reissuedIntermediate({ serialNumber: '7e10', notAfter: new Date(Date.now() - 86_400_000) });
    const withoutPolicies = await reissuedIntermediate({ serialNumber: '7e11', policies: [] });
    const crls = [await crlFile(pki.root), await crlFile(pki.intermediate)];
    const card = await newCard();
    for (const order of [
      [expired.der, withoutPolicies.der, pki.intermediate.der],
      [pki.intermediate.der, withoutPolicies.der, expired.der],
    ]) {
      expect(await authenticate(card, policyWith(crls, order))).toMatchObject({ ok: true });
    }
  });

  it('when no path validates, the refusal names each path and why it failed, whatever the order', async () => {
    const expired = await reissuedIntermediate({ serialNumber: '7e12', notAfter: new Date(Date.now() - 86_400_000) });
    const withoutPolicies = await reissuedIntermediate({ serialNumber: '7e13', policies: [] });
    const crls = [await crlFile(pki.root), await crlFile(pki.intermediate)];
    const card = await newCard();
    const refusals = [
      await authenticate(card, policyWith(crls, [expired.der, withoutPolicies.der])),
      await authenticate(card, policyWith(crls, [withoutPolicies.der, expired.der])),
    ];
    for (const refused of refusals) {
      expect(refused).toMatchObject({ ok: false, code: 'expired' });
      expect(refused.ok ? '' : refused.message).toMatch(/none of 2 certificate paths.*expired.*certificate policy/);
    }
    expect(refusals[0]).toEqual(refusals[1]);
  });
});

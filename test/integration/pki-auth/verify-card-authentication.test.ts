// PKI-AUTH against real certificates from the test PKI, real CRLs and OCSP responses served over loopback HTTP.
import 'reflect-metadata';
import { KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPki,
  generateKeyPair,
  type IssuedCardCertificate,
  type IssueCardCertificateOptions,
  type TestPki,
} from '../../../virtual-card/test-pki.ts';
import {
  verifyCardAuthentication,
  verifyCardCertificate,
  type PivTrustPolicy,
} from '../../../issuer/pki-auth/verify-card-authentication.ts';
import { newKioskNonce, pkiAuthMessageBytes, signAsCard } from './card-signature.ts';
import {
  buildCrl,
  buildOcspError,
  buildOcspResponse,
  createDelegatedResponder,
  ocspResponder,
  startRevocationServer,
  type RevocationServer,
} from '../../../virtual-card/revocation.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
let pki: TestPki;
let otherPki: TestPki;
let workDir: string;
let rootCrlFile: string;
const servers: RevocationServer[] = [];

async function server(options: Parameters<typeof startRevocationServer>[0]): Promise<RevocationServer> {
  const started = await startRevocationServer(options);
  servers.push(started);
  return started;
}

/** The card's signature over `message` (SHA-256/384, ECDSA DER): PKI-AUTH framing is the caller's. */
function cardSign(card: { keys: CryptoKeyPair; keyAlgorithm: string }, message: Uint8Array): Uint8Array {
  return signAsCard(KeyObject.from(card.keys.privateKey), card.keyAlgorithm, message);
}

function policyWith(overrides: Partial<PivTrustPolicy>): PivTrustPolicy {
  return {
    trustAnchorsDer: [pki.root.der],
    intermediatesDer: [pki.intermediate.der],
    requiredPolicyOids: ['2.16.840.1.101.3.2.1.3.13'],
    crlUrls: [],
    crlFiles: [rootCrlFile],
    ocspUrl: null,
    ...overrides,
  };
}

/** A policy whose intermediate-issued CRL (served over HTTP) lists `revoked`. */
async function crlPolicy(revoked: string[] = []): Promise<PivTrustPolicy> {
  const crl = await buildCrl({ issuer: pki.intermediate, revokedSerials: revoked });
  const served = await server({ crl });
  return policyWith({ crlUrls: [served.crlUrl] });
}

async function authenticate(
  card: IssuedCardCertificate,
  policy: PivTrustPolicy,
  tamper: { challenge?: Uint8Array; signature?: Uint8Array } = {},
) {
  const issuerNonce = randomBytes(32);
  const kioskNonce = newKioskNonce();
  const signature =
    tamper.signature ?? cardSign(card, pkiAuthMessageBytes(tamper.challenge ?? issuerNonce, kioskNonce));
  return verifyCardAuthentication({ issuerNonce, kioskNonce, signature, certificateDer: card.der }, policy);
}

function issue(options: Partial<IssueCardCertificateOptions> = {}): Promise<IssuedCardCertificate> {
  return pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Pat Cardholder', ...options });
}

beforeAll(async () => {
  pki = await createTestPki();
  otherPki = await createTestPki({ rootCommonName: 'Test PIV Root CA', intermediateCommonName: 'Test PIV Issuing CA' });
  workDir = mkdtempSync(join(tmpdir(), 'dck-pki-auth-'));
  rootCrlFile = join(workDir, 'root.crl');
  writeFileSync(rootCrlFile, await buildCrl({ issuer: pki.root }));
});

afterAll(async () => {
  await Promise.all(servers.map((started) => started.close()));
  rmSync(workDir, { recursive: true, force: true });
});

describe('PKI-AUTH accepts good cards', () => {
  it('accepts an RSA-2048 card and returns its identity from the SAN', async () => {
    const card = await issue({ keyAlgorithm: 'RSA-2048', uuid: '3c1a2b4d-0000-4000-8000-00000000abcd' });
    const result = await authenticate(card, await crlPolicy());
    expect(result).toMatchObject({ ok: true });
    if (!result.ok) return;
    expect(result.identity.uuid).toBe('3c1a2b4d-0000-4000-8000-00000000abcd');
    expect(result.identity.fascnHex).toBe(Buffer.from(card.fascn).toString('hex'));
    expect(result.identity.keyAlgorithm).toBe('RSA-2048');
    expect(result.identity.commonName).toBe('Pat Cardholder');
    expect(result.identity.serialNumberHex).toBe(card.certificate.serialNumber.toLowerCase());
    expect(result.identity.issuerDn).toBe(pki.intermediate.certificate.subject);
  });

  it('accepts a P-256 card', async () => {
    const card = await issue();
    const result = await authenticate(card, await crlPolicy());
    expect(result.ok ? result.identity.keyAlgorithm : result).toBe('P-256');
  });

  it('accepts a P-384 card (SHA-384 signature)', async () => {
    const card = await issue({ keyAlgorithm: 'P-384' });
    const result = await authenticate(card, await crlPolicy());
    expect(result.ok ? result.identity.keyAlgorithm : result).toBe('P-384');
  });

  it('accepts a good OCSP answer signed by the CA, and one from a delegated responder', async () => {
    const card = await issue();
    const byCa = await server({ ocsp: ocspResponder(pki.intermediate, () => 'good') });
    expect((await authenticate(card, policyWith({ ocspUrl: byCa.ocspUrl }))).ok).toBe(true);
    const delegate = await createDelegatedResponder(pki.intermediate);
    const byDelegate = await server({ ocsp: ocspResponder(delegate, () => 'good') });
    expect((await authenticate(card, policyWith({ ocspUrl: byDelegate.ocspUrl }))).ok).toBe(true);
  });

  it('reuses a good OCSP answer until its nextUpdate instead of asking again', async () => {
    const card = await issue();
    const askedAboutCard: string[] = [];
    const answer = ocspResponder(pki.intermediate, () => 'good');
    const responder = await server({
      ocsp: (request) => {
        if (request.serialHex === card.certificate.serialNumber.toLowerCase()) askedAboutCard.push(request.serialHex);
        return answer(request);
      },
    });
    const policy = policyWith({ ocspUrl: responder.ocspUrl });
    expect((await authenticate(card, policy)).ok).toBe(true);
    expect((await authenticate(card, policy)).ok).toBe(true);
    expect(askedAboutCard).toHaveLength(1);
  });
  it('a returning card is served from the validation caches, yet a newly published CRL revoking it is heard at once', async () => {
    const card = await issue();
    const crlFile = join(workDir, 'intermediate-updated.crl');
    writeFileSync(crlFile, await buildCrl({ issuer: pki.intermediate }));
    const policy = policyWith({ crlFiles: [rootCrlFile, crlFile] });
    expect((await authenticate(card, policy)).ok).toBe(true);
    expect((await authenticate(card, policy)).ok).toBe(true);
    writeFileSync(
      crlFile,
      await buildCrl({ issuer: pki.intermediate, revokedSerials: [card.certificate.serialNumber] }),
    );
    expect(await authenticate(card, policy)).toMatchObject({ ok: false, code: 'revoked' });
  });
  it('re-checking a stored card certificate after sign-in (no signature) hears a revocation published since', async () => {
    const card = await issue();
    const crlFile = join(workDir, 'intermediate-recheck.crl');
    writeFileSync(crlFile, await buildCrl({ issuer: pki.intermediate }));
    const policy = policyWith({ crlFiles: [rootCrlFile, crlFile] });
    expect(await verifyCardCertificate(card.der, policy)).toMatchObject({ ok: true });
    writeFileSync(
      crlFile,
      await buildCrl({ issuer: pki.intermediate, revokedSerials: [card.certificate.serialNumber] }),
    );
    expect(await verifyCardCertificate(card.der, policy)).toMatchObject({ ok: false, code: 'revoked' });
    expect(await verifyCardCertificate(otherPki.root.der, policy)).toMatchObject({ ok: false });
  });
});

describe('PKI-AUTH refuses', () => {
  it('a signature made by a different key: bad-signature', async () => {
    const card = await issue();
    const stranger = { keys: await generateKeyPair('P-256'), keyAlgorithm: 'P-256' };
    const issuerNonce = randomBytes(32);
    const kioskNonce = newKioskNonce();
    const signature = cardSign(stranger, pkiAuthMessageBytes(issuerNonce, kioskNonce));
    const result = await verifyCardAuthentication(
      { issuerNonce, kioskNonce, signature, certificateDer: card.der },
      await crlPolicy(),
    );
    expect(result).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  it('a signature over another challenge: bad-signature', async () => {
    const card = await issue({ keyAlgorithm: 'RSA-2048' });
    expect(await authenticate(card, await crlPolicy(), { challenge: randomBytes(32) })).toMatchObject({
      ok: false,
      code: 'bad-signature',
    });
  });

  it("a valid signature over the raw challenge (the old form, or any other protocol's bytes): bad-signature", async () => {
    for (const keyAlgorithm of ['P-256', 'P-384', 'RSA-2048'] as const) {
      const card = await issue({ keyAlgorithm });
      const issuerNonce = randomBytes(32);
      const kioskNonce = newKioskNonce();
      for (const signed of [issuerNonce, Buffer.concat([issuerNonce, kioskNonce])]) {
        const result = await verifyCardAuthentication(
          { issuerNonce, kioskNonce, signature: cardSign(card, signed), certificateDer: card.der },
          await crlPolicy(),
        );
        expect(result).toMatchObject({ ok: false, code: 'bad-signature' });
      }
    }
  });

  it("nonces of another length, even with the card's signature over exactly those bytes: bad-signature", async () => {
    const card = await issue();
    const context = Buffer.from('DCK PKI-AUTH v1\0');
    for (const [issuerNonce, kioskNonce] of [
      [randomBytes(32), randomBytes(31)],
      [randomBytes(32), randomBytes(33)],
      [randomBytes(16), randomBytes(32)],
      [randomBytes(32), new Uint8Array(0)],
    ] as const) {
      const signature = cardSign(card, Buffer.concat([context, issuerNonce, kioskNonce]));
      const result = await verifyCardAuthentication(
        { issuerNonce, kioskNonce, signature, certificateDer: card.der },
        await crlPolicy(),
      );
      expect(result).toMatchObject({ ok: false, code: 'bad-signature' });
    }
  });

  it('a truncated signature: bad-signature', async () => {
    const card = await issue();
    const issuerNonce = randomBytes(32);
    const kioskNonce = newKioskNonce();
    const signature = cardSign(card, pkiAuthMessageBytes(issuerNonce, kioskNonce)).subarray(0, 40);
    const result = await verifyCardAuthentication(
      { issuerNonce, kioskNonce, signature, certificateDer: card.der },
      await crlPolicy(),
    );
    expect(result).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  it('an expired certificate: expired', async () => {
    const card = await issue({
      notBefore: new Date(Date.now() - 30 * DAY_MS),
      notAfter: new Date(Date.now() - DAY_MS),
    });
    expect(await authenticate(card, await crlPolicy())).toMatchObject({ ok: false, code: 'expired' });
  });

  it('a certificate not valid yet: not-yet-valid', async () => {
    const card = await issue({
      notBefore: new Date(Date.now() + DAY_MS),
      notAfter: new Date(Date.now() + 30 * DAY_MS),
    });
    expect(await authenticate(card, await crlPolicy())).toMatchObject({ ok: false, code: 'not-yet-valid' });
  });

  it('a certificate revoked by CRL: revoked', async () => {
    const card = await issue();
    expect(await authenticate(card, await crlPolicy([card.certificate.serialNumber]))).toMatchObject({
      ok: false,
      code: 'revoked',
    });
  });

  it("an intermediate CA revoked by the root's CRL: revoked", async () => {
    const card = await issue();
    const rootCrl = join(workDir, 'root-revoking.crl');
    writeFileSync(
      rootCrl,
      await buildCrl({ issuer: pki.root, revokedSerials: [pki.intermediate.certificate.serialNumber] }),
    );
    const policy = await crlPolicy();
    expect(await authenticate(card, { ...policy, crlFiles: [rootCrl] })).toMatchObject({ ok: false, code: 'revoked' });
  });

  it('a certificate revoked by OCSP (even with a clean CRL): revoked', async () => {
    const card = await issue();
    const responder = await server({ ocsp: ocspResponder(pki.intermediate, () => 'revoked') });
    const policy = await crlPolicy();
    expect(await authenticate(card, { ...policy, ocspUrl: responder.ocspUrl })).toMatchObject({
      ok: false,
      code: 'revoked',
    });
  });

  it('an OCSP "unknown" answer with no CRL: revocation-unavailable', async () => {
    const card = await issue();
    const responder = await server({ ocsp: ocspResponder(pki.intermediate, () => 'unknown') });
    const result = await authenticate(card, policyWith({ ocspUrl: responder.ocspUrl }));
    expect(result).toMatchObject({ ok: false, code: 'revocation-unavailable' });
    expect(result.ok ? '' : result.message).toContain('does not know');
  });

  it('a stale CRL: revocation-unavailable', async () => {
    const card = await issue();
    const crl = await buildCrl({
      issuer: pki.intermediate,
      thisUpdate: new Date(Date.now() - 3 * DAY_MS),
      nextUpdate: new Date(Date.now() - DAY_MS),
    });
    const served = await server({ crl });
    const result = await authenticate(card, policyWith({ crlUrls: [served.crlUrl] }));
    expect(result).toMatchObject({ ok: false, code: 'revocation-unavailable' });
    expect(result.ok ? '' : result.message).toContain('stale');
  });

  it('a CRL signed by the wrong key, even one listing nothing: revocation-unavailable', async () => {
    const card = await issue();
    const crl = await buildCrl({ issuer: pki.intermediate, signingKey: otherPki.intermediate.keys.privateKey });
    const served = await server({ crl });
    const result = await authenticate(card, policyWith({ crlUrls: [served.crlUrl] }));
    expect(result).toMatchObject({ ok: false, code: 'revocation-unavailable' });
    expect(result.ok ? '' : result.message).toContain('not signed by');
  });

  it('an OCSP answer signed by the wrong key, or by a responder without id-kp-OCSPSigning: revocation-unavailable', async () => {
    const card = await issue();
    const forged = await server({
      ocsp: ocspResponder(pki.intermediate, () => 'good', {
        signingKeyOverride: otherPki.intermediate.keys.privateKey,
      }),
    });
    expect(await authenticate(card, policyWith({ ocspUrl: forged.ocspUrl }))).toMatchObject({
      ok: false,
      code: 'revocation-unavailable',
    });
    const notDelegated = await createDelegatedResponder(pki.intermediate, { withOcspSigning: false });
    const undelegated = await server({ ocsp: ocspResponder(notDelegated, () => 'good') });
    expect(await authenticate(card, policyWith({ ocspUrl: undelegated.ocspUrl }))).toMatchObject({
      ok: false,
      code: 'revocation-unavailable',
    });
  });

  it('an OCSP answer with a foreign nonce or a stale nextUpdate: revocation-unavailable', async () => {
    const card = await issue();
    const wrongNonce = await server({
      ocsp: ocspResponder(pki.intermediate, () => 'good', { nonce: new Uint8Array([4, 2, 1, 2]) }),
    });
    expect(await authenticate(card, policyWith({ ocspUrl: wrongNonce.ocspUrl }))).toMatchObject({
      ok: false,
      code: 'revocation-unavailable',
    });
    const stale = await server({
      ocsp: (request) =>
        buildOcspResponse({
          certId: request.certId,
          status: 'good',
          signer: pki.intermediate,
          nonce: request.nonce,
          thisUpdate: new Date(Date.now() - 2 * DAY_MS),
          nextUpdate: new Date(Date.now() - DAY_MS),
        }),
    });
    expect(await authenticate(card, policyWith({ ocspUrl: stale.ocspUrl }))).toMatchObject({
      ok: false,
      code: 'revocation-unavailable',
    });
  });

  it('an OCSP answer about another certificate: revocation-unavailable', async () => {
    const card = await issue();
    const other = await issue();
    const responder = await server({
      ocsp: async (request) => {
        const certId = new pkijs.CertID();
        await certId.createForCertificate(pkijs.Certificate.fromBER(new Uint8Array(other.der)), {
          hashAlgorithm: 'SHA-1',
          issuerCertificate: pkijs.Certificate.fromBER(new Uint8Array(pki.intermediate.der)),
        });
        return buildOcspResponse({ certId, status: 'good', signer: pki.intermediate, nonce: request.nonce });
      },
    });
    expect(await authenticate(card, policyWith({ ocspUrl: responder.ocspUrl }))).toMatchObject({
      ok: false,
      code: 'revocation-unavailable',
    });
  });

  it('garbage from the revocation sources (random CRL bytes, OCSP error status, non-OCSP body): revocation-unavailable', async () => {
    const card = await issue();
    const garbageCrl = await server({ crl: new Uint8Array(randomBytes(400)) });
    expect(await authenticate(card, policyWith({ crlUrls: [garbageCrl.crlUrl] }))).toMatchObject({
      ok: false,
      code: 'revocation-unavailable',
    });
    const tryLater = await server({ ocsp: () => Promise.resolve(buildOcspError(3)) });
    const refused = await authenticate(card, policyWith({ ocspUrl: tryLater.ocspUrl }));
    expect(refused).toMatchObject({ ok: false, code: 'revocation-unavailable' });
    expect(refused.ok ? '' : refused.message).toContain('responseStatus 3');
    const junk = await server({ ocsp: () => Promise.resolve(new Uint8Array(Buffer.from('<html>hello</html>'))) });
    expect(await authenticate(card, policyWith({ ocspUrl: junk.ocspUrl }))).toMatchObject({
      ok: false,
      code: 'revocation-unavailable',
    });
  });

  it('a certificate from an untrusted root: untrusted', async () => {
    const card = await otherPki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Mallory' });
    expect(await authenticate(card, await crlPolicy())).toMatchObject({ ok: false, code: 'untrusted' });
  });

  it('a look-alike chain (same names, other keys) is untrusted even with its own CRL: untrusted', async () => {
    const card = await otherPki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Mallory' });
    const served = await server({ crl: await buildCrl({ issuer: otherPki.intermediate }) });
    const policy = policyWith({
      intermediatesDer: [pki.intermediate.der, otherPki.intermediate.der],
      crlUrls: [served.crlUrl],
    });
    const result = await authenticate(card, policy);
    expect(result.ok).toBe(false);
    expect(result.ok ? null : ['untrusted', 'revocation-unavailable']).toContain(result.ok ? null : result.code);
  });

  it('a certificate without the PIV Authentication policy: policy-missing', async () => {
    const card = await issue({ policies: ['2.16.840.1.101.3.2.1.3.7'] });
    expect(await authenticate(card, await crlPolicy())).toMatchObject({ ok: false, code: 'policy-missing' });
  });

  it('honours a configured policy OID instead of the default', async () => {
    const card = await issue({ policies: ['2.16.840.1.101.3.2.1.3.7'] });
    const policy = await crlPolicy();
    expect((await authenticate(card, { ...policy, requiredPolicyOids: ['2.16.840.1.101.3.2.1.3.7'] })).ok).toBe(true);
  });

  it('no reachable CRL or OCSP source: revocation-unavailable', async () => {
    const card = await issue();
    const gone = await startRevocationServer({});
    await gone.close(); // its port now refuses connections
    const result = await authenticate(card, policyWith({ crlUrls: [gone.crlUrl], ocspUrl: gone.ocspUrl }));
    expect(result).toMatchObject({ ok: false, code: 'revocation-unavailable' });
  });

  it('a CRL for the card but none for its intermediate CA: revocation-unavailable (the pkijs trap)', async () => {
    const card = await issue();
    const policy = await crlPolicy();
    const result = await authenticate(card, { ...policy, crlFiles: [] });
    expect(result).toMatchObject({ ok: false, code: 'revocation-unavailable' });
    expect(result.ok ? '' : result.message).toContain(pki.intermediate.certificate.subject);
  });

  it('garbage certificate bytes: bad-certificate', async () => {
    const policy = await crlPolicy();
    for (const certificateDer of [
      new Uint8Array(0),
      randomBytes(300),
      new Uint8Array([0x30, 0x82, 0xff, 0xff, 0x01]),
      new Uint8Array(20_000),
    ]) {
      const result = await verifyCardAuthentication(
        { issuerNonce: randomBytes(32), kioskNonce: newKioskNonce(), signature: randomBytes(64), certificateDer },
        policy,
      );
      expect(result).toMatchObject({ ok: false, code: 'bad-certificate' });
    }
  });
});

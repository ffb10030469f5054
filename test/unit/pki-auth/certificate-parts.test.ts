// The PKI-AUTH building blocks on hand-made certificates: SAN identity, policy rules, key algorithms, the
// end-entity profile, and hostile bytes for every parser.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as x509 from '@peculiar/x509';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { GeneralName, OtherName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate, type ParsedCertificate } from '../../../issuer/pki-auth/parsed-certificate.ts';
import { cardholderIdentity } from '../../../issuer/pki-auth/identity.ts';
import { cardPublicKey, verifyChallengeSignature } from '../../../issuer/pki-auth/signature.ts';
import { leafProfileProblem } from '../../../issuer/pki-auth/leaf-profile.ts';
import { parseCrl } from '../../../issuer/pki-auth/revocation/crl.ts';
import { boundedFetch } from '../../../issuer/pki-auth/revocation/bounded-fetch.ts';

const crypto = webcrypto as unknown as Crypto;
const FASCN_OID = '2.16.840.1.101.3.6.6';
let ecKeys: CryptoKeyPair;

beforeAll(async () => {
  ecKeys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
});

function sanExtension(names: GeneralName[]): x509.Extension {
  return new x509.Extension('2.5.29.17', false, AsnConvert.serialize(new SubjectAlternativeName(names)));
}
const uri = (value: string): GeneralName => new GeneralName({ uniformResourceIdentifier: value });
const fascn = (bytes: number): GeneralName =>
  new GeneralName({
    otherName: new OtherName({
      typeId: FASCN_OID,
      value: AsnConvert.serialize(new OctetString(new Uint8Array(bytes).fill(0xd4))),
    }),
  });

async function certificate(
  extensions: x509.Extension[],
  keys: CryptoKeyPair = ecKeys,
  signingAlgorithm: Algorithm | EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' },
): Promise<ParsedCertificate> {
  const made = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: 'CN=Unit Test',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      keys,
      signingAlgorithm,
      extensions,
    },
    crypto,
  );
  const parsed = parseCertificate(new Uint8Array(made.rawData));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.certificate;
}

describe('identity from the subjectAltName', () => {
  it('reads the UUID (lower-cased) and the FASC-N as hex', async () => {
    const result = cardholderIdentity(
      await certificate([sanExtension([fascn(25), uri('urn:uuid:3C1A2B4D-0000-4000-8000-00000000ABCD')])]),
    );
    expect(result).toEqual({ ok: true, uuid: '3c1a2b4d-0000-4000-8000-00000000abcd', fascnHex: 'd4'.repeat(25) });
  });

  it('accepts a FASC-N alone and a UUID alone', async () => {
    expect(cardholderIdentity(await certificate([sanExtension([fascn(25)])]))).toMatchObject({ ok: true, uuid: null });
    expect(
      cardholderIdentity(await certificate([sanExtension([uri('urn:uuid:3c1a2b4d-0000-4000-8000-00000000abcd')])])),
    ).toMatchObject({ ok: true, fascnHex: null });
  });

  it('refuses a missing SAN, a SAN without card identifiers, a short FASC-N, two different UUIDs, a UUID look-alike', async () => {
    expect(cardholderIdentity(await certificate([]))).toMatchObject({ ok: false });
    expect(
      cardholderIdentity(await certificate([sanExtension([new GeneralName({ dNSName: 'card.example' })])])),
    ).toMatchObject({ ok: false, message: expect.stringContaining('neither') as unknown });
    expect(cardholderIdentity(await certificate([sanExtension([fascn(24)])]))).toMatchObject({
      ok: false,
      message: expect.stringContaining('25 bytes') as unknown,
    });
    expect(
      cardholderIdentity(
        await certificate([
          sanExtension([
            uri('urn:uuid:3c1a2b4d-0000-4000-8000-00000000abcd'),
            uri('urn:uuid:3c1a2b4d-0000-4000-8000-00000000abce'),
          ]),
        ]),
      ),
    ).toMatchObject({ ok: false, message: expect.stringContaining('more than one') as unknown });
    expect(
      cardholderIdentity(
        await certificate([sanExtension([uri('urn:uuid:3c1a2b4d-0000-4000-8000-00000000abcd/../x')])]),
      ),
    ).toMatchObject({ ok: false });
  });

  it('a certificate with an unparseable SAN extension is refused at parse time', async () => {
    await expect(
      certificate([new x509.Extension('2.5.29.17', false, new Uint8Array([0x30, 0x05, 0xa0, 0x03, 0x06]))]),
    ).rejects.toThrow(/cannot be parsed/);
  });
});

describe('card keys and signatures', () => {
  it('refuses keys other than RSA-2048, P-256, P-384', async () => {
    const rsa1024 = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    );
    expect(cardPublicKey(await certificate([], rsa1024, { name: 'RSASSA-PKCS1-v1_5' }))).toMatchObject({
      ok: false,
      message: expect.stringContaining('RSA-1024') as unknown,
    });
    const p521 = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-521' }, true, ['sign', 'verify']);
    expect(cardPublicKey(await certificate([], p521, { name: 'ECDSA', hash: 'SHA-512' }))).toMatchObject({ ok: false });
  });

  it('answers false, never throws, for empty, oversized or malformed signatures and challenges', async () => {
    const key = cardPublicKey(await certificate([]));
    if (!key.ok) throw new Error(key.message);
    for (const [issuerNonce, signature] of [
      [new Uint8Array(32), new Uint8Array(0)],
      [new Uint8Array(0), new Uint8Array(70)],
      [new Uint8Array(2000), new Uint8Array(70)],
      [new Uint8Array(32), new Uint8Array(5000)],
      [new Uint8Array(32), new Uint8Array([0x30, 0x81, 0xff, 0x02])],
    ] as const) {
      expect(
        verifyChallengeSignature({ issuerNonce, kioskNonce: new Uint8Array(32) }, signature, key.algorithm, key.key),
      ).toBe(false);
    }
  });

  it('refuses a CA certificate or a key that may not sign as a card certificate', async () => {
    expect(
      leafProfileProblem(await certificate([new x509.BasicConstraintsExtension(true, undefined, true)])),
    ).toContain('CA certificate');
    expect(
      leafProfileProblem(await certificate([new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment, true)])),
    ).toContain('digital signatures');
    expect(
      leafProfileProblem(await certificate([new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)])),
    ).toBeNull();
  });
});

describe('hostile bytes', () => {
  it('parseCertificate refuses empty, random, trailing-garbage and oversized input', async () => {
    const good = await certificate([]);
    for (const bytes of [
      new Uint8Array(0),
      new Uint8Array([0x30]),
      webcrypto.getRandomValues(new Uint8Array(512)),
      new Uint8Array([...good.der, 0x00]),
      new Uint8Array(17_000),
    ]) {
      expect(parseCertificate(bytes).ok).toBe(false);
    }
  });

  it('parseCrl refuses random bytes and a certificate passed as a CRL', async () => {
    expect(parseCrl(webcrypto.getRandomValues(new Uint8Array(256)), 'random').ok).toBe(false);
    expect(parseCrl((await certificate([])).der, 'a certificate').ok).toBe(false);
  });
});

describe('boundedFetch', () => {
  let origin = '';
  const server = createServer((request, response) => {
    if (request.url === '/big') {
      response.end(Buffer.alloc(300_000));
      return;
    }
    if (request.url === '/redirect') {
      response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      response.end();
      return;
    }
    response.end('small');
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads a small answer and refuses one over the limit', async () => {
    expect(await boundedFetch(`${origin}/small`, { maxBytes: 100, timeoutMs: 2000 })).toMatchObject({ ok: true });
    expect(await boundedFetch(`${origin}/big`, { maxBytes: 100_000, timeoutMs: 2000 })).toMatchObject({
      ok: false,
      message: expect.stringContaining('100000') as unknown,
    });
  });

  it('does not follow redirects and fetches only http(s)', async () => {
    expect(await boundedFetch(`${origin}/redirect`, { maxBytes: 100, timeoutMs: 2000 })).toMatchObject({ ok: false });
    expect(await boundedFetch('file:///etc/passwd', { maxBytes: 100, timeoutMs: 2000 })).toMatchObject({
      ok: false,
      message: expect.stringContaining('file:') as unknown,
    });
    expect(await boundedFetch('not a url', { maxBytes: 100, timeoutMs: 2000 })).toMatchObject({ ok: false });
  });
});

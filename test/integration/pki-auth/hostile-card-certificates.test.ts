// Hostile card certificates through the whole verifier: each one is properly signed by the test PKI's issuing CA
// (so OpenSSL accepts it and the path would validate), and differs from a good card only in the detail under test.
// Every refusal must come back as data with the right code — no exception may escape — and a good card must pass.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../issuer/pki-auth/parsed-certificate.ts';
import { verifyCardAuthentication, type PivTrustPolicy } from '../../../issuer/pki-auth/verify-card-authentication.ts';
import {
  DER_TRUE,
  bitString,
  derLength,
  integer,
  objectIdentifier,
  octetString,
  sequence,
  time,
  tlv,
} from '../../../issuer/ca/der.ts';
import { createTestPki, type TestPki } from '../../../virtual-card/test-pki.ts';
import { buildCrl } from '../../../virtual-card/revocation.ts';
import { signPkiAuth } from './card-signature.ts';

const PIV_AUTH_POLICY = '2.16.840.1.101.3.2.1.3.13';
const FASCN_OID = '2.16.840.1.101.3.6.6';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const DAY_MS = 86_400_000;

let pki: TestPki;
let dataDir: string;
let policy: PivTrustPolicy;
let intermediateKey: KeyObject;
let intermediateSubject: Uint8Array;
const cardKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const issuerNonce = new Uint8Array(32).fill(9);
const { kioskNonce, signature: challengeSignature } = signPkiAuth(cardKeys.privateKey, 'P-256', issuerNonce);

beforeAll(async () => {
  pki = await createTestPki();
  dataDir = mkdtempSync(join(tmpdir(), 'dck-hostile-cards-'));
  const nextUpdate = new Date(Date.now() + DAY_MS);
  writeFileSync(join(dataDir, 'root.crl'), await buildCrl({ issuer: pki.root, nextUpdate }));
  writeFileSync(join(dataDir, 'intermediate.crl'), await buildCrl({ issuer: pki.intermediate, nextUpdate }));
  policy = {
    trustAnchorsDer: [pki.root.der],
    intermediatesDer: [pki.intermediate.der],
    requiredPolicyOids: [PIV_AUTH_POLICY],
    crlUrls: [],
    crlFiles: [join(dataDir, 'root.crl'), join(dataDir, 'intermediate.crl')],
    ocspUrl: null,
  };
  intermediateKey = createPrivateKey({
    key: Buffer.from(pki.intermediate.privateKeyPkcs8),
    format: 'der',
    type: 'pkcs8',
  });
  const parsedIntermediate = parseCertificate(pki.intermediate.der);
  if (!parsedIntermediate.ok) throw new Error(parsedIntermediate.message);
  intermediateSubject = parsedIntermediate.certificate.fields.subjectName;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// ── a card certificate assembled byte by byte and signed by the issuing CA ──

const extension = (oid: string, value: Uint8Array, critical = false): Uint8Array =>
  sequence(objectIdentifier(oid), ...(critical ? [DER_TRUE] : []), octetString(value));
const otherName = (typeId: string, value: Uint8Array): Uint8Array =>
  tlv(0xa0, objectIdentifier(typeId), tlv(0xa0, value));
const uri = (text: string): Uint8Array => tlv(0x86, Buffer.from(text, 'ascii'));
const fascn = (length: number): Uint8Array => otherName(FASCN_OID, octetString(new Uint8Array(length).fill(0xd4)));
const san = (...names: Uint8Array[]): Uint8Array => extension('2.5.29.17', sequence(...names));
const policies = (...oids: string[]): Uint8Array =>
  extension('2.5.29.32', sequence(...oids.map((oid) => sequence(objectIdentifier(oid)))));
const keyUsageDigitalSignature = extension('2.5.29.15', bitString(Uint8Array.of(0x80), 7), true);
const notCa = extension('2.5.29.19', sequence(), true);
const goodSan = san(fascn(25), uri('urn:uuid:3c1a2b4d-0000-4000-8000-00000000abcd'));

function commonNameName(text: string): Uint8Array {
  return sequence(tlv(0x31, sequence(objectIdentifier('2.5.4.3'), tlv(0x0c, Buffer.from(text, 'utf8')))));
}

function card(extensions: Uint8Array[], options: { subject?: Uint8Array; issuer?: Uint8Array } = {}): Uint8Array {
  const algorithm = sequence(objectIdentifier(ECDSA_SHA256));
  const now = Date.now();
  const tbs = sequence(
    tlv(0xa0, integer(Uint8Array.of(2))),
    integer(new Uint8Array(Buffer.from('4a1b2c3d4e5f', 'hex'))),
    algorithm,
    options.issuer ?? intermediateSubject,
    sequence(time(new Date(now - DAY_MS)), time(new Date(now + 30 * DAY_MS))),
    options.subject ?? commonNameName('Hostile Test Holder'),
    new Uint8Array(cardKeys.publicKey.export({ format: 'der', type: 'spki' })),
    tlv(0xa3, sequence(...extensions)),
  );
  const signature = sign('sha256', tbs, { key: intermediateKey, dsaEncoding: 'der' });
  return sequence(tbs, algorithm, bitString(new Uint8Array(signature)));
}

const goodExtensions = (): Uint8Array[] => [notCa, keyUsageDigitalSignature, policies(PIV_AUTH_POLICY), goodSan];

async function verify(certificateDer: Uint8Array) {
  return verifyCardAuthentication({ issuerNonce, kioskNonce, signature: challengeSignature, certificateDer }, policy);
}

describe('hand-made card certificates through verifyCardAuthentication', () => {
  it('a well-formed one passes (so every refusal below is about the detail under test)', async () => {
    const result = await verify(card(goodExtensions()));
    expect(result).toMatchObject({
      ok: true,
      identity: {
        uuid: '3c1a2b4d-0000-4000-8000-00000000abcd',
        fascnHex: 'd4'.repeat(25),
        commonName: 'Hostile Test Holder',
      },
    });
  });

  it('an unknown critical extension makes the card unusable; the same extension non-critical is ignored', async () => {
    const unknown = '1.3.6.1.4.1.99999.1';
    expect(await verify(card([...goodExtensions(), extension(unknown, sequence(), true)]))).toMatchObject({
      ok: false,
      code: 'bad-certificate',
      message: expect.stringContaining(unknown) as unknown,
    });
    expect(await verify(card([...goodExtensions(), extension(unknown, sequence(), false)]))).toMatchObject({
      ok: true,
    });
  });

  it('duplicate extensions, duplicate policy OIDs and trailing bytes in an extension value are refused', async () => {
    expect(
      await verify(card([...goodExtensions(), san(uri('urn:uuid:3c1a2b4d-0000-4000-8000-00000000abce'))])),
    ).toMatchObject({
      ok: false,
      code: 'bad-certificate',
      message: expect.stringContaining('more than once') as unknown,
    });
    expect(
      await verify(
        card([notCa, keyUsageDigitalSignature, policies(PIV_AUTH_POLICY), policies(PIV_AUTH_POLICY), goodSan]),
      ),
    ).toMatchObject({ ok: false, code: 'bad-certificate' });
    expect(
      await verify(card([notCa, keyUsageDigitalSignature, policies(PIV_AUTH_POLICY, PIV_AUTH_POLICY), goodSan])),
    ).toMatchObject({
      ok: false,
      code: 'bad-certificate',
      message: expect.stringContaining('more than once') as unknown,
    });
    const sanWithTrailer = extension('2.5.29.17', new Uint8Array([...sequence(fascn(25)), 0x05, 0x00]));
    expect(
      await verify(card([notCa, keyUsageDigitalSignature, policies(PIV_AUTH_POLICY), sanWithTrailer])),
    ).toMatchObject({ ok: false, code: 'bad-certificate' });
  });

  it('more policies or SAN names than any real certificate carries are refused before they cost much', async () => {
    const manyPolicies = Array.from({ length: 129 }, (_, index) => `1.2.3.${index}`);
    expect(
      await verify(card([notCa, keyUsageDigitalSignature, policies(PIV_AUTH_POLICY, ...manyPolicies), goodSan])),
    ).toMatchObject({
      ok: false,
      code: 'bad-certificate',
      message: expect.stringContaining('more than 128') as unknown,
    });
    const manyNames = Array.from({ length: 128 }, (_, index) => uri(`urn:x:${index}`));
    expect(
      await verify(card([notCa, keyUsageDigitalSignature, policies(PIV_AUTH_POLICY), san(fascn(25), ...manyNames)])),
    ).toMatchObject({
      ok: false,
      code: 'bad-certificate',
      message: expect.stringContaining('more than 128') as unknown,
    });
    expect(
      await verify(
        card([notCa, keyUsageDigitalSignature, policies(PIV_AUTH_POLICY), san(fascn(25), ...manyNames.slice(1))]),
      ),
    ).toMatchObject({ ok: true });
  });

  it('a FASC-N of 24 or 26 bytes, or one that is not an OCTET STRING, is not an identity', async () => {
    for (const name of [fascn(24), fascn(26), otherName(FASCN_OID, tlv(0x0c, Buffer.from('d4'.repeat(25), 'hex')))]) {
      expect(await verify(card([notCa, keyUsageDigitalSignature, policies(PIV_AUTH_POLICY), san(name)]))).toMatchObject(
        { ok: false, code: 'identity-missing', message: expect.stringContaining('25 bytes') as unknown },
      );
    }
  });

  it('deep nesting: opaque inside an unknown extension, refused inside the SAN or a name, never a stack overflow', async () => {
    let deep: Uint8Array = new Uint8Array([0x05, 0x00]);
    for (let level = 0; level < 2500; level += 1) deep = sequence(deep);
    expect(await verify(card([...goodExtensions(), extension('1.3.6.1.4.1.99999.2', deep)]))).toMatchObject({
      ok: true,
    });
    expect(
      await verify(
        card([
          notCa,
          keyUsageDigitalSignature,
          policies(PIV_AUTH_POLICY),
          san(uri('urn:uuid:3c1a2b4d-0000-4000-8000-00000000abcd'), otherName('1.2.3.4', deep)),
        ]),
      ),
    ).toMatchObject({
      ok: false,
      code: 'bad-certificate',
      message: expect.stringContaining('nested too deeply') as unknown,
    });
    const deepName = sequence(tlv(0x31, sequence(objectIdentifier('2.5.4.3'), deep)));
    expect(await verify(card(goodExtensions(), { subject: deepName }))).toMatchObject({
      ok: false,
      code: 'bad-certificate',
    });
  });

  it('a long-form length where a short one fits, an indefinite length, a 4-octet length: refused before any signature work', async () => {
    const good = card(goodExtensions());
    // The serial number (02 06 …) re-encoded with a non-minimal long-form length, outer lengths fixed up.
    const serialAt = Buffer.from(good).indexOf(Buffer.from('02064a1b2c3d4e5f', 'hex'));
    expect(serialAt).toBeGreaterThan(0);
    expect(await verify(spliced(good, serialAt, 2, Uint8Array.of(0x02, 0x81, 0x06)))).toMatchObject({
      ok: false,
      code: 'bad-certificate',
    });
    expect(await verify(spliced(good, serialAt, 2, Uint8Array.of(0x02, 0x84, 0x00, 0x00, 0x00, 0x06)))).toMatchObject({
      ok: false,
      code: 'bad-certificate',
    });
    const huge = new Uint8Array(good);
    huge.set([0x30, 0x84], 0);
    expect(await verify(huge)).toMatchObject({ ok: false, code: 'bad-certificate' });
  });

  it('policy and name constraint extensions are read strictly: empty, out-of-profile or mis-sized forms are refused', async () => {
    const refused = async (extra: Uint8Array) =>
      expect(await verify(card([...goodExtensions(), extra]))).toMatchObject({ ok: false, code: 'bad-certificate' });
    await refused(extension('2.5.29.36', sequence())); // policyConstraints: an empty SEQUENCE (RFC 5280 §4.2.1.11)
    await refused(extension('2.5.29.36', sequence(tlv(0x80, Uint8Array.of(0x00, 0x01))))); // SkipCerts not in its shortest form
    await refused(extension('2.5.29.33', sequence())); // policyMappings: SIZE (1..MAX)
    await refused(extension('2.5.29.33', sequence(sequence(objectIdentifier('1.2.3'))))); // a mapping without its subject policy
    await refused(extension('2.5.29.30', sequence())); // nameConstraints: neither subtree list
    const dnsSubtree = sequence(tlv(0x82, Buffer.from('agency.gov', 'ascii')), tlv(0x80, Uint8Array.of(0x01)));
    await refused(extension('2.5.29.30', sequence(tlv(0xa0, dnsSubtree)))); // a subtree with a minimum (the profile forbids it)
    await refused(extension('2.5.29.30', sequence(tlv(0xa0, sequence(tlv(0x87, Uint8Array.of(10, 0, 0, 1))))))); // an IP subtree without its mask
    await refused(san(fascn(25), tlv(0x87, Uint8Array.of(10, 0, 0, 1, 255, 255, 255, 0)))); // a SAN address with a mask
    await refused(extension('2.5.29.54', tlv(0x02, Uint8Array.of(0xff)))); // inhibitAnyPolicy: negative SkipCerts
  });
});

describe('the card record keeps the format @peculiar/x509 gave it', () => {
  it('issuer DN, serial, common name and notAfter of test PKI cards of every key algorithm', async () => {
    for (const keyAlgorithm of ['RSA-2048', 'P-256', 'P-384'] as const) {
      const issued = await pki.issueCardCertificate({
        keyAlgorithm,
        commonName: `Record ${keyAlgorithm}`,
        serialNumber: '00a1b2c3',
      });
      const key = createPrivateKey({ key: Buffer.from(issued.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
      const signed = signPkiAuth(key, keyAlgorithm, issuerNonce);
      const result = await verifyCardAuthentication({ issuerNonce, ...signed, certificateDer: issued.der }, policy);
      expect(result).toMatchObject({
        ok: true,
        identity: {
          issuerDn: issued.certificate.issuer,
          serialNumberHex: issued.certificate.serialNumber.toLowerCase(),
          commonName: issued.certificate.subjectName.getField('CN')[0],
          notAfter: issued.certificate.notAfter,
          keyAlgorithm,
        },
      });
    }
  });

  it("an issuer name encoded differently from the CA's subject (UTF8String vs PrintableString) still reads as @peculiar/x509 writes it", async () => {
    const utf8Issuer = sequence(
      ...[
        ['2.5.4.3', 'Test PIV Issuing CA'],
        ['2.5.4.10', 'Derived Credential Kiosk Test'],
        ['2.5.4.6', 'US'],
      ].map(([oid = '', value = '']) =>
        tlv(0x31, sequence(objectIdentifier(oid), tlv(oid === '2.5.4.6' ? 0x13 : 0x0c, Buffer.from(value)))),
      ),
    );
    expect(Buffer.from(utf8Issuer).equals(intermediateSubject)).toBe(false); // the test PKI writes PrintableString
    const reEncoded = card(goodExtensions(), { issuer: utf8Issuer });
    // OpenSSL chains names by their canonical form, so the card is accepted; its issuer text is its own.
    const result = await verify(reEncoded);
    expect(result).toMatchObject({
      ok: true,
      identity: { issuerDn: new x509.X509Certificate(reEncoded.slice()).issuer },
    });
    expect(result.ok && result.identity.issuerDn).toBe('CN=Test PIV Issuing CA, O=Derived Credential Kiosk Test, C=US');
  });
});

describe('a real card certificate, damaged at every byte', () => {
  it('truncated at every offset (and re-wrapped so the outer length fits): always a clean bad-certificate', async () => {
    const { der } = await pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: 'Truncation Holder' });
    for (let cut = 0; cut < der.byteLength; cut += 1) {
      const truncated = der.subarray(0, cut);
      expect(await verify(truncated)).toMatchObject({ ok: false, code: 'bad-certificate' });
      const content = der.subarray(headerLength(der), cut < headerLength(der) ? headerLength(der) : cut);
      const rewrapped = new Uint8Array([0x30, ...derLength(content.byteLength), ...content]);
      if (rewrapped.byteLength !== der.byteLength) expect(parseCertificate(rewrapped).ok).toBe(false);
    }
  });

  it('every byte flipped in turn: parseCertificate answers (ok or a refusal), never throws', async () => {
    const { der } = await pki.issueCardCertificate({ keyAlgorithm: 'RSA-2048', commonName: 'Flip Holder' });
    let refused = 0;
    for (let at = 0; at < der.byteLength; at += 1) {
      const damaged = new Uint8Array(der);
      damaged[at] = (damaged[at] ?? 0) ^ 0xff;
      const result = parseCertificate(damaged);
      if (!result.ok) refused += 1;
    }
    expect(refused).toBeGreaterThan(der.byteLength / 4);
  });
});

/** `der` with `removeCount` bytes at `at` replaced by `insert`, every enclosing length re-encoded to fit. */
function spliced(der: Uint8Array, at: number, removeCount: number, insert: Uint8Array): Uint8Array {
  const rebuild = (bytes: Uint8Array, offset: number): Uint8Array => {
    // Walk the constructed elements that contain `at`, rebuilding each around its changed content.
    const header = headerLength(bytes.subarray(offset));
    const contentStart = offset + header;
    const end = contentStart + contentLength(bytes.subarray(offset));
    let cursor = contentStart;
    const parts: Uint8Array[] = [];
    while (cursor < end) {
      const childEnd = cursor + headerLength(bytes.subarray(cursor)) + contentLength(bytes.subarray(cursor));
      if (at === cursor) parts.push(insert, bytes.subarray(cursor + removeCount, childEnd));
      else if (at > cursor && at < childEnd && ((bytes[cursor] ?? 0) & 0x20) !== 0) parts.push(rebuild(bytes, cursor));
      else parts.push(bytes.subarray(cursor, childEnd));
      cursor = childEnd;
    }
    return tlv(bytes[offset] ?? 0, ...parts);
  };
  return rebuild(der, 0);
}

function headerLength(bytes: Uint8Array): number {
  const first = bytes[1] ?? 0;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}

function contentLength(bytes: Uint8Array): number {
  const first = bytes[1] ?? 0;
  if (first < 0x80) return first;
  let length = 0;
  for (let index = 0; index < (first & 0x7f); index += 1) length = length * 256 + (bytes[2 + index] ?? 0);
  return length;
}

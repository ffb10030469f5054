// checkCsr (issuer/ca/csr.ts) on real requests and on hostile ones: every damaged request is a clean refusal with
// the right code, the key policy is applied before any signature work, and what is handed on for the derived
// certificate is exactly the SubjectPublicKeyInfo that was signed.
import 'reflect-metadata';
import { generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkCsr } from '../../../issuer/ca/csr.ts';
import { bitString, derLength, integer, objectIdentifier, sequence, tlv } from '../../../issuer/ca/der.ts';

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const RSA_SHA256 = '1.2.840.113549.1.1.11';

const base64url = (der: Uint8Array): string => Buffer.from(der).toString('base64url');

async function peculiarCsr(
  algorithm: EcKeyGenParams | RsaHashedKeyGenParams,
): Promise<{ der: Uint8Array; spki: Uint8Array }> {
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const signingAlgorithm =
    'namedCurve' in algorithm
      ? { name: 'ECDSA', hash: algorithm.namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' }
      : algorithm;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=phone', keys, signingAlgorithm });
  return {
    der: new Uint8Array(csr.rawData),
    spki: new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey)),
  };
}

/** A request assembled by hand: `mutateInfo` may change the signed part; the signature is made over what it returns. */
function handMadeCsr(options: {
  keyType: 'ec' | 'rsa';
  rsaBits?: number;
  signatureOid?: string;
  algorithmParameters?: Uint8Array;
  trailingInInfo?: boolean;
  withoutAttributes?: boolean;
}): Uint8Array {
  const pair =
    options.keyType === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: options.rsaBits ?? 2048 });
  const spki = new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' }));
  const subject = sequence(tlv(0x31, sequence(objectIdentifier('2.5.4.3'), tlv(0x0c, Buffer.from('phone')))));
  const attributes = options.withoutAttributes === true ? [] : [tlv(0xa0)];
  const info = sequence(
    integer(Uint8Array.of(0)),
    subject,
    spki,
    ...attributes,
    ...(options.trailingInInfo === true ? [Uint8Array.of(0x05, 0x00)] : []),
  );
  const signature =
    options.keyType === 'ec'
      ? sign('sha256', info, { key: pair.privateKey, dsaEncoding: 'der' })
      : sign('sha256', info, pair.privateKey);
  const oid = options.signatureOid ?? (options.keyType === 'ec' ? ECDSA_SHA256 : RSA_SHA256);
  return sequence(
    info,
    sequence(
      objectIdentifier(oid),
      ...(options.algorithmParameters === undefined ? [] : [options.algorithmParameters]),
    ),
    bitString(new Uint8Array(signature)),
  );
}

let p256: { der: Uint8Array; spki: Uint8Array };
beforeAll(async () => {
  p256 = await peculiarCsr({ name: 'ECDSA', namedCurve: 'P-256' });
});

describe('checkCsr accepts real requests', () => {
  it('P-256, P-384 and RSA-2048 from @peculiar/x509, as PEM and as base64url DER; hands on the exact signed SPKI', async () => {
    expect(checkCsr(base64url(p256.der))).toEqual({
      ok: true,
      subjectPublicKeySpkiDer: p256.spki,
      keyAlgorithm: 'P-256',
    });
    const p384 = await peculiarCsr({ name: 'ECDSA', namedCurve: 'P-384' });
    expect(checkCsr(new x509.Pkcs10CertificateRequest(p384.der.slice()).toString('pem'))).toEqual({
      ok: true,
      subjectPublicKeySpkiDer: p384.spki,
      keyAlgorithm: 'P-384',
    });
    const rsa = await peculiarCsr({
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    });
    expect(checkCsr(base64url(rsa.der))).toMatchObject({ ok: true, keyAlgorithm: 'RSA-2048' });
  });

  it('hand-made requests: RSA with NULL parameters, EC without, and without the attributes field', () => {
    expect(
      checkCsr(base64url(handMadeCsr({ keyType: 'rsa', algorithmParameters: Uint8Array.of(0x05, 0x00) }))),
    ).toMatchObject({ ok: true, keyAlgorithm: 'RSA-2048' });
    expect(checkCsr(base64url(handMadeCsr({ keyType: 'ec' })))).toMatchObject({ ok: true, keyAlgorithm: 'P-256' });
    expect(checkCsr(base64url(handMadeCsr({ keyType: 'ec', withoutAttributes: true })))).toMatchObject({
      ok: true,
      keyAlgorithm: 'P-256',
    });
  });
});

describe('checkCsr refuses hostile requests cleanly', () => {
  it('truncated at every offset (and re-wrapped so the outer length fits): csr-invalid, never an exception', () => {
    const der = p256.der;
    const header = (der[1] ?? 0) < 0x80 ? 2 : 2 + ((der[1] ?? 0) & 0x7f);
    for (let cut = 1; cut < der.byteLength; cut += 1) {
      expect(checkCsr(base64url(der.subarray(0, cut)))).toMatchObject({ ok: false, code: 'csr-invalid' });
      const content = der.subarray(header, Math.max(header, cut));
      expect(checkCsr(base64url(new Uint8Array([0x30, ...derLength(content.byteLength), ...content])))).toMatchObject({
        ok: false,
        code: 'csr-invalid',
      });
    }
  });

  it('every byte flipped in turn: an answer with a CSR code, never an exception, never a pass', () => {
    for (let at = 0; at < p256.der.byteLength; at += 1) {
      const damaged = new Uint8Array(p256.der);
      damaged[at] = (damaged[at] ?? 0) ^ 0xff;
      const result = checkCsr(base64url(damaged));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(['csr-invalid', 'csr-weak-key', 'csr-bad-signature']).toContain(result.code);
    }
  });

  it('trailing bytes after the request or inside its signed part, non-minimal and indefinite lengths', () => {
    expect(checkCsr(base64url(new Uint8Array([...p256.der, 0x00])))).toMatchObject({
      ok: false,
      code: 'csr-invalid',
      message: expect.stringContaining('trailing') as unknown,
    });
    expect(checkCsr(base64url(handMadeCsr({ keyType: 'ec', trailingInInfo: true })))).toMatchObject({
      ok: false,
      code: 'csr-invalid',
    });
    const content = topLevel(p256.der).reduce((all, element) => new Uint8Array([...all, ...element]), new Uint8Array());
    const longer = new Uint8Array([0x30, 0x83, 0x00, ...derLength(content.byteLength).subarray(1), ...content]);
    expect(checkCsr(base64url(longer))).toMatchObject({
      ok: false,
      code: 'csr-invalid',
      message: expect.stringContaining('shortest form') as unknown,
    });
    const indefinite = new Uint8Array([0x30, 0x80, ...content, 0x00, 0x00]);
    expect(checkCsr(base64url(indefinite))).toMatchObject({
      ok: false,
      code: 'csr-invalid',
      message: expect.stringContaining('indefinite') as unknown,
    });
  });

  it('a signature algorithm that does not fit the key, or carries parameters, is refused', () => {
    expect(checkCsr(base64url(handMadeCsr({ keyType: 'rsa', signatureOid: ECDSA_SHA256 })))).toMatchObject({
      ok: false,
      code: 'csr-invalid',
      message: expect.stringContaining('does not fit') as unknown,
    });
    expect(checkCsr(base64url(handMadeCsr({ keyType: 'ec', algorithmParameters: sequence() })))).toMatchObject({
      ok: false,
      code: 'csr-invalid',
    });
  });

  it('applies the key policy before the signature: a weak key with a garbage signature is csr-weak-key', () => {
    const weak = handMadeCsr({ keyType: 'rsa', rsaBits: 1024 });
    const garbled = new Uint8Array(weak);
    garbled[garbled.byteLength - 1] = (garbled[garbled.byteLength - 1] ?? 0) ^ 0x01;
    for (const request of [weak, garbled]) {
      expect(checkCsr(base64url(request))).toMatchObject({
        ok: false,
        code: 'csr-weak-key',
        message: expect.stringContaining('2048') as unknown,
      });
    }
  });

  it("a request whose signature is someone else's is csr-bad-signature", () => {
    const mine = handMadeCsr({ keyType: 'ec' });
    const theirs = handMadeCsr({ keyType: 'ec' });
    // The same request with the other one's signature BIT STRING.
    const swapped = sequence(...topLevel(mine).slice(0, 2), topLevel(theirs)[2] ?? new Uint8Array());
    expect(checkCsr(base64url(swapped))).toMatchObject({ ok: false, code: 'csr-bad-signature' });
  });
});

/** The encoded elements directly inside the outer SEQUENCE. */
function topLevel(der: Uint8Array): Uint8Array[] {
  const elements: Uint8Array[] = [];
  let offset = (der[1] ?? 0) < 0x80 ? 2 : 2 + ((der[1] ?? 0) & 0x7f);
  while (offset < der.byteLength) {
    const first = der[offset + 1] ?? 0;
    const header = first < 0x80 ? 2 : 2 + (first & 0x7f);
    let length = first;
    if (first >= 0x80) {
      length = 0;
      for (let index = 0; index < (first & 0x7f); index += 1) length = length * 256 + (der[offset + 2 + index] ?? 0);
    }
    elements.push(der.subarray(offset, offset + header + length));
    offset += header + length;
  }
  return elements;
}

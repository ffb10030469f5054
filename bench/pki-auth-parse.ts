// CPU cost of reading a new card's certificate and a phone's CSR in the issuer: parseCertificate, the whole
// verifyCardAuthentication of a card never seen before (CRLs loaded from files, CA part already validated, as in a
// running issuer), and checkCsr. Figures are CPU microseconds per operation (process.cpuUsage over many
// operations, one thread), so other processes on the machine barely move them. Prints figures only.
//
//   node --import tsx bench/pki-auth-parse.ts [--cards N]
//
// The "reference" lines are what the same work costs with the general-purpose parsers (@peculiar/x509 with its
// extensions decoded, @peculiar/asn1-schema for the CSR) and the OpenSSL floor, for comparison.
import 'reflect-metadata';
import { X509Certificate as OpenSslCertificate, createPrivateKey, verify, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { parseCertificate } from '../issuer/pki-auth/parsed-certificate.ts';
import { verifyCardAuthentication, type PivTrustPolicy } from '../issuer/pki-auth/verify-card-authentication.ts';
import { checkCsr } from '../issuer/ca/csr.ts';
import { createTestPki, type CardKeyAlgorithm, type IssuedCardCertificate } from '../virtual-card/test-pki.ts';
import { pkiAuthMessageBytes, signAsCard } from '../test/integration/pki-auth/card-signature.ts';
import { bitString, integer, objectIdentifier, octetString, sequence, time, tlv } from '../issuer/ca/der.ts';
import { buildCrl } from '../virtual-card/revocation.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

function cardCountFrom(args: string[]): number {
  const at = args.indexOf('--cards');
  const value = at >= 0 ? Number(args[at + 1]) : 300;
  if (!Number.isInteger(value) || value < 10) throw new Error('--cards must be an integer ≥ 10');
  return value;
}

/** CPU µs per call of `operation` over `items` (each item once per round), after one untimed warm-up round. */
async function cpuMicrosPerCall<T>(
  items: readonly T[],
  rounds: number,
  operation: (item: T) => unknown,
): Promise<number> {
  for (const item of items) await operation(item);
  const before = process.cpuUsage();
  for (let round = 0; round < rounds; round += 1) for (const item of items) await operation(item);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / (rounds * items.length);
}

function line(label: string, micros: number): void {
  console.log(`  ${label.padEnd(72)} ${micros.toFixed(1).padStart(8)} µs CPU`);
}

async function makeCsr(algorithm: EcKeyGenParams | RsaHashedKeyGenParams): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const signingAlgorithm =
    'namedCurve' in algorithm
      ? { name: 'ECDSA', hash: algorithm.namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' }
      : algorithm;
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=phone', keys, signingAlgorithm })).toString(
    'pem',
  );
}

function cardSignature(card: IssuedCardCertificate, message: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.from(card.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
  return signAsCard(key, card.keyAlgorithm, message);
}

async function benchCertificates(cardCount: number): Promise<void> {
  const pki = await createTestPki();
  const dataDir = mkdtempSync(join(tmpdir(), 'dck-bench-pki-auth-'));
  try {
    const nextUpdate = new Date(Date.now() + 86_400_000);
    writeFileSync(join(dataDir, 'root.crl'), await buildCrl({ issuer: pki.root, nextUpdate }));
    writeFileSync(join(dataDir, 'intermediate.crl'), await buildCrl({ issuer: pki.intermediate, nextUpdate }));
    const issuerNonce = new Uint8Array(32).fill(7);
    const kioskNonce = new Uint8Array(32).fill(8);
    const message = pkiAuthMessageBytes(issuerNonce, kioskNonce);
    for (const keyAlgorithm of ['P-256', 'P-384', 'RSA-2048'] as CardKeyAlgorithm[]) {
      const count = keyAlgorithm === 'RSA-2048' ? Math.max(10, Math.floor(cardCount / 5)) : cardCount;
      const cards: Array<{ card: IssuedCardCertificate; signature: Uint8Array }> = [];
      for (let index = 0; index < count; index += 1) {
        const card = await pki.issueCardCertificate({ keyAlgorithm, commonName: `Bench Cardholder ${index}` });
        cards.push({ card, signature: cardSignature(card, message) });
      }
      const ders = cards.map(({ card }) => card.der);
      console.log(`\n${keyAlgorithm} card certificates (${ders[0]?.byteLength ?? 0} bytes), ${count} distinct cards:`);
      line(
        'parseCertificate',
        await cpuMicrosPerCall(ders, 10, (der) => {
          if (!parseCertificate(der).ok) throw new Error('bench certificate refused');
        }),
      );
      line(
        'reference: OpenSSL X509Certificate + publicKey',
        await cpuMicrosPerCall(ders, 10, (der) => new OpenSslCertificate(der).publicKey),
      );
      line(
        'reference: @peculiar/x509 X509Certificate + extensions + names',
        await cpuMicrosPerCall(ders, 10, (der) => {
          const certificate = new x509.X509Certificate(der.slice());
          return [certificate.extensions, certificate.subjectName, certificate.issuerName];
        }),
      );

      const policy: PivTrustPolicy = {
        trustAnchorsDer: [pki.root.der],
        intermediatesDer: [pki.intermediate.der],
        requiredPolicyOids: [],
        crlUrls: [],
        crlFiles: [join(dataDir, 'root.crl'), join(dataDir, 'intermediate.crl')],
        ocspUrl: null,
      };
      // The first card loads the CRLs and validates the CA part (as a running issuer did long before); every
      // later card is new to this policy object, so none of its per-card caches answer.
      const [warmUp, ...rest] = cards;
      if (warmUp === undefined) throw new Error('no cards');
      const verifyOne = async ({ card, signature }: { card: IssuedCardCertificate; signature: Uint8Array }) => {
        const result = await verifyCardAuthentication(
          { issuerNonce, kioskNonce, signature, certificateDer: card.der },
          policy,
        );
        if (!result.ok) throw new Error(`bench card refused: ${result.code} ${result.message}`);
      };
      await verifyOne(warmUp);
      const before = process.cpuUsage();
      for (const item of rest) await verifyOne(item);
      const used = process.cpuUsage(before);
      line('verifyCardAuthentication, a new card each time', (used.user + used.system) / rest.length);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchCsrs(): Promise<void> {
  const kinds: Array<[string, EcKeyGenParams | RsaHashedKeyGenParams]> = [
    ['P-256', { name: 'ECDSA', namedCurve: 'P-256' }],
    ['P-384', { name: 'ECDSA', namedCurve: 'P-384' }],
    [
      'RSA-2048',
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    ],
  ];
  for (const [name, algorithm] of kinds) {
    const csrs: string[] = [];
    for (let index = 0; index < 32; index += 1) csrs.push(await makeCsr(algorithm));
    console.log(`\n${name} CSRs (PEM), 32 distinct:`);
    line(
      'checkCsr',
      await cpuMicrosPerCall(csrs, 30, (csr) => {
        if (!checkCsr(csr).ok) throw new Error('bench CSR refused');
      }),
    );
    const ders = csrs.map((csr) => Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    line(
      'reference: @peculiar/asn1-schema parse of the CertificationRequest',
      await cpuMicrosPerCall(ders, 30, (der) => AsnConvert.parse(der, CertificationRequest)),
    );
    const parsed = ders.map((der) => AsnConvert.parse(der, CertificationRequest));
    const verifications = parsed.map((request) => {
      const spki = Buffer.from(AsnConvert.serialize(request.certificationRequestInfo.subjectPKInfo));
      const data = Buffer.from(
        request.certificationRequestInfoRaw ?? AsnConvert.serialize(request.certificationRequestInfo),
      );
      return { spki, data, signature: Buffer.from(request.signature) };
    });
    const hash = name === 'P-384' ? 'sha384' : 'sha256';
    line(
      'reference: OpenSSL signature check alone (key from SPKI each time)',
      await cpuMicrosPerCall(verifications, 30, ({ spki, data, signature }) => {
        if (!verify(hash, data, { key: spki, format: 'der', type: 'spki' }, signature))
          throw new Error('reference check failed');
      }),
    );
  }
}

/**
 * Worst cases an attacker can send: ~16 KiB certificates OpenSSL accepts as certificates (the signature is garbage:
 * parsing comes before any signature check), filled with what costs a parser most.
 */
async function benchHostileCertificates(): Promise<void> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const name = sequence(tlv(0x31, sequence(objectIdentifier('2.5.4.3'), tlv(0x0c, Buffer.from('Hostile')))));
  const algorithm = sequence(objectIdentifier('1.2.840.10045.4.3.2'));
  const certificateWith = (extensions: Uint8Array[]): Uint8Array => {
    const tbs = sequence(
      tlv(0xa0, integer(Uint8Array.of(2))),
      integer(Uint8Array.of(1)),
      algorithm,
      name,
      sequence(time(new Date()), time(new Date(Date.now() + 86_400_000))),
      name,
      spki,
      tlv(0xa3, sequence(...extensions)),
    );
    return sequence(tbs, algorithm, bitString(new Uint8Array(72).fill(1)));
  };
  const extension = (oid: string, value: Uint8Array): Uint8Array => sequence(objectIdentifier(oid), octetString(value));
  let deep: Uint8Array = Uint8Array.of(0x05, 0x00);
  for (let level = 0; level < 3800; level += 1) deep = sequence(deep);
  const cases: Array<[string, Uint8Array]> = [
    ['3800-deep nesting in an unknown extension', certificateWith([extension('1.3.6.1.4.1.99999.1', deep)])],
    ...[128, 1200].map((count): [string, Uint8Array] => [
      `${count} policy OIDs`,
      certificateWith([
        extension(
          '2.5.29.32',
          sequence(...Array.from({ length: count }, (_, index) => sequence(objectIdentifier(`1.2.${index}`)))),
        ),
      ]),
    ]),
    ...[128, 1000].map((count): [string, Uint8Array] => [
      `${count} SAN URIs`,
      certificateWith([
        extension(
          '2.5.29.17',
          sequence(...Array.from({ length: count }, (_, index) => tlv(0x86, Buffer.from(`urn:x:${index}`)))),
        ),
      ]),
    ]),
  ];
  console.log('\nhostile certificates (parse only; OpenSSL accepts each as a certificate):');
  for (const [label, der] of cases) {
    const result = parseCertificate(der);
    line(
      `parseCertificate, ${label} (${der.byteLength} bytes, ${result.ok ? 'accepted' : 'refused'})`,
      await cpuMicrosPerCall([der], 200, (item) => parseCertificate(item)),
    );
  }
}

async function main(): Promise<void> {
  const cardCount = cardCountFrom(process.argv.slice(2));
  console.log(`PKI-AUTH and CSR parsing cost, node ${process.version}, CPU time per operation (one thread)`);
  await benchCertificates(cardCount);
  await benchCsrs();
  await benchHostileCertificates();
}

main().catch((error: unknown) => {
  console.error(`bench pki-auth-parse failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});

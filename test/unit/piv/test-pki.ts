/**
 * Test PKI generated in memory at test time (no private keys committed): a CA and PIV card
 * certificates for RSA-2048, P-256 and P-384 with the PIV policy, FASC-N otherName and urn:uuid.
 * Each card key comes with the raw private operation a PIV card performs in GENERAL AUTHENTICATE.
 */
import 'reflect-metadata';
import { constants, KeyObject, privateEncrypt, webcrypto } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { GeneralName, OtherName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import type { KeyAlgorithm } from '../../../piv/piv-card.ts';
import { scalarFromJwk, signDigest } from './raw-ecdsa.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export const PIV_AUTH_POLICY = '2.16.840.1.101.3.2.1.3.13';
export const VECTOR_FASCN = 'd4e739da739ced39ce739d836858210842108421c84210c3eb';

export interface CardKey {
  readonly algorithm: KeyAlgorithm;
  readonly certificateDer: Uint8Array;
  /** The card's raw operation: RSA without padding on the PKCS#1 block, ECDSA on the digest. */
  readonly rawSign: (input: Uint8Array) => Uint8Array;
}

export interface CertificateOptions {
  readonly commonName?: string;
  readonly fascn?: Uint8Array | null;
  readonly uuid?: string | null;
  readonly policies?: readonly string[];
  readonly notAfter?: Date;
}

const KEY_PARAMS: Readonly<Record<KeyAlgorithm, RsaHashedKeyGenParams | EcKeyGenParams>> = {
  'RSA-2048': {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
  'ECC-P256': { name: 'ECDSA', namedCurve: 'P-256' },
  'ECC-P384': { name: 'ECDSA', namedCurve: 'P-384' },
};

let caPromise: Promise<{ keys: CryptoKeyPair; certificate: x509.X509Certificate }> | undefined;

function testCa(): Promise<{ keys: CryptoKeyPair; certificate: x509.X509Certificate }> {
  caPromise ??= (async () => {
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=Test PIV CA,O=Derived Credential Kiosk Tests',
      keys,
      notBefore: new Date('2024-01-01T00:00:00Z'),
      notAfter: new Date('2036-01-01T00:00:00Z'),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    return { keys, certificate };
  })();
  return caPromise;
}

function sanExtension(fascn: Uint8Array | null, uuid: string | null): x509.Extension {
  const names: GeneralName[] = [];
  if (fascn !== null) {
    names.push(
      new GeneralName({
        otherName: new OtherName({
          typeId: '2.16.840.1.101.3.6.6',
          value: AsnConvert.serialize(new OctetString(fascn)),
        }),
      }),
    );
  }
  if (uuid !== null) names.push(new GeneralName({ uniformResourceIdentifier: `urn:uuid:${uuid}` }));
  return new x509.Extension('2.5.29.17', false, AsnConvert.serialize(new SubjectAlternativeName(names)));
}

function rawSigner(algorithm: KeyAlgorithm, privateKey: CryptoKey): (input: Uint8Array) => Uint8Array {
  const keyObject = KeyObject.from(privateKey);
  if (algorithm === 'RSA-2048') {
    return (input) => new Uint8Array(privateEncrypt({ key: keyObject, padding: constants.RSA_NO_PADDING }, input));
  }
  const d = scalarFromJwk(keyObject.export({ format: 'jwk' }).d ?? '');
  return (input) => signDigest(algorithm === 'ECC-P256' ? 'P-256' : 'P-384', d, input);
}

export async function makeCardKey(algorithm: KeyAlgorithm, options: CertificateOptions = {}): Promise<CardKey> {
  const ca = await testCa();
  const keys = await webcrypto.subtle.generateKey(KEY_PARAMS[algorithm], true, ['sign', 'verify']);
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.CertificatePolicyExtension([...(options.policies ?? [PIV_AUTH_POLICY])]),
    sanExtension(
      options.fascn === undefined ? Buffer.from(VECTOR_FASCN, 'hex') : options.fascn,
      options.uuid === undefined ? '3f2504e0-4f89-11d3-9a0c-0305e82c3301' : options.uuid,
    ),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '1a2b3c4d',
    subject: `CN=${options.commonName ?? 'Ada Lovelace'},OU=People,O=Test Agency,C=US`,
    issuer: ca.certificate.subject,
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: options.notAfter ?? new Date('2031-01-01T00:00:00Z'),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions,
  });
  return {
    algorithm,
    certificateDer: new Uint8Array(certificate.rawData),
    rawSign: rawSigner(algorithm, keys.privateKey),
  };
}

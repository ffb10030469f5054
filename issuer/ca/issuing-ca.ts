// The issuer's CA: created on first start for the embedded default (key + certificate persisted in the data
// dir, key file mode 0600), loaded from configured files, or a key in a PKCS#11 token (pkcs11-ca-signer.ts).
// @peculiar/x509 needs the reflect polyfill loaded first, whoever imports this module (dck admin does, without start-issuer).
import 'reflect-metadata';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { buildCertificate, keyIdentifier, newSerialNumber } from './certificate-builder.ts';
import { OID, distinguishedName } from './der.ts';
import { basicConstraints, keyUsage, subjectKeyIdentifier } from './extensions.ts';
import { softwareCaSigner } from './ca-signer.ts';
import type { CaSigner, OperatedCaSigner } from './ca-signer.ts';
import { derToPem, pemToDerList } from './pem.ts';
import { isPkcs11CaConfig } from './ca-config.ts';
import type { CaConfig, Pkcs11CaSettings } from './ca-config.ts';
import { certificatePublicKey, Pkcs11CaSigner } from './pkcs11-ca-signer.ts';

export interface IssuingCa {
  signer: OperatedCaSigner;
  certificateDer: Uint8Array;
  certificate: x509.X509Certificate;
  /** Issuing CA first, then any higher CAs (configured chain files). */
  chainDer: Uint8Array[];
  /** The CA's subject name, DER: the issuer name of everything it signs. */
  subjectNameDer: Uint8Array;
  keyIdentifier: Uint8Array;
}

const CA_KEY_FILE = 'issuing-ca-key.pem';
const CA_CERT_FILE = 'issuing-ca-certificate.pem';

/** Where the data-dir CA's key and certificate live (`dck admin issuer replace` swaps them). */
export function dataDirCaFiles(dataDir: string): { keyFile: string; certificateFile: string } {
  return { keyFile: join(dataDir, CA_KEY_FILE), certificateFile: join(dataDir, CA_CERT_FILE) };
}
const CA_LIFETIME_YEARS = 10;

export function issuingCaFromParts(
  signer: OperatedCaSigner,
  certificateDer: Uint8Array,
  higherChain: Uint8Array[],
): IssuingCa {
  const certificate = new x509.X509Certificate(certificateDer.slice());
  const certificateSpki = Buffer.from(certificate.publicKey.rawData);
  if (!certificateSpki.equals(Buffer.from(signer.publicKeySpkiDer))) {
    throw new Error('the CA certificate does not match the CA key');
  }
  return {
    signer,
    certificateDer,
    certificate,
    chainDer: [certificateDer, ...higherChain],
    subjectNameDer: new Uint8Array(certificate.subjectName.toArrayBuffer()),
    keyIdentifier: keyIdentifier(signer.publicKeySpkiDer),
  };
}

/** The CA's subject: `<name> Derived PIV CA`, O=dck (the data-dir CA and `dck ca ceremony` name theirs alike). */
export function caSubjectName(displayName: string): Uint8Array {
  return distinguishedName([
    [OID.commonName, `${displayName} Derived PIV CA`],
    [OID.organizationName, 'dck'],
  ]);
}

/** A self-signed CA certificate (10 years, pathLen 0: it signs only end-entity certificates) for the signer's key. */
export async function createSelfSignedCa(signer: CaSigner, displayName: string, now: Date): Promise<Uint8Array> {
  const name = caSubjectName(displayName);
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_LIFETIME_YEARS);

  return buildCertificate(
    {
      serialNumber: newSerialNumber(),
      issuerNameDer: name,
      subjectNameDer: name,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      subjectPublicKeySpkiDer: signer.publicKeySpkiDer,
      extensions: [
        basicConstraints(true, 0),
        keyUsage(['keyCertSign', 'cRLSign']),
        subjectKeyIdentifier(keyIdentifier(signer.publicKeySpkiDer)),
      ],
    },
    signer,
  );
}

/** Embedded default: reuse the CA in `dataDir`, or create it there. */
export async function loadOrCreateDataDirCa(dataDir: string, displayName: string, now: Date): Promise<IssuingCa> {
  const keyFile = join(dataDir, CA_KEY_FILE);
  const certFile = join(dataDir, CA_CERT_FILE);
  if (existsSync(keyFile) && existsSync(certFile)) return loadCaFromFiles(certFile, keyFile, []);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = softwareCaSigner(privateKey);
  const certificateDer = await createSelfSignedCa(signer, displayName, now);
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(certFile, derToPem(certificateDer));
  return issuingCaFromParts(signer, certificateDer, []);
}

export function loadCaFromFiles(certificateFile: string, keyFile: string, chainFiles: string[]): IssuingCa {
  const [certificateDer] = pemToDerList(readFileSync(certificateFile, 'utf8'));
  if (certificateDer === undefined) throw new Error(`no certificate in ${certificateFile}`);
  const privateKey: KeyObject = createPrivateKey(readFileSync(keyFile));
  const chain = chainFiles.flatMap((file) => pemToDerList(readFileSync(file, 'utf8')));
  return issuingCaFromParts(softwareCaSigner(privateKey), certificateDer, chain);
}

/** The CA key in a PKCS#11 token: connects now, so a wrong module, label, key id, PIN or certificate stops the start. */
export async function loadCaFromToken(settings: Pkcs11CaSettings): Promise<IssuingCa> {
  const [certificateDer] = pemToDerList(readFileSync(settings.certificateFile, 'utf8'));
  if (certificateDer === undefined) throw new Error(`no certificate in ${settings.certificateFile}`);
  const chain = (settings.chainFiles ?? []).flatMap((file) => pemToDerList(readFileSync(file, 'utf8')));
  const signer = new Pkcs11CaSigner(
    { modulePath: settings.module, tokenLabel: settings.tokenLabel, keyId: Buffer.from(settings.keyId, 'hex') },
    settings.pinFile !== undefined ? { file: settings.pinFile } : { env: settings.pinEnv ?? '' },
    certificatePublicKey(certificateDer),
  );
  await signer.connect();
  return issuingCaFromParts(signer, certificateDer, chain);
}

/** The CA the `ca` config section names: made in the data dir (null), from key files, or in a token. */
export function loadConfiguredCa(ca: CaConfig, dataDir: string, displayName: string, now: Date): Promise<IssuingCa> {
  if (ca === null) return loadOrCreateDataDirCa(dataDir, displayName, now);
  if (isPkcs11CaConfig(ca)) return loadCaFromToken(ca.pkcs11);
  return Promise.resolve(loadCaFromFiles(ca.certificateFile, ca.keyFile, ca.chainFiles ?? []));
}

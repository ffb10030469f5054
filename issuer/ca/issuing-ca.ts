// The issuer's CA: created on first start for the embedded default (key + certificate persisted in the data
// dir, key file mode 0600) or loaded from configured files.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { buildCertificate, keyIdentifier, newSerialNumber } from './certificate-builder.ts';
import { OID, distinguishedName } from './der.ts';
import { basicConstraints, keyUsage, subjectKeyIdentifier } from './extensions.ts';
import { softwareCaSigner } from './ca-signer.ts';
import type { CaSigner } from './ca-signer.ts';
import { derToPem, pemToDerList } from './pem.ts';

export interface IssuingCa {
  signer: CaSigner;
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
const CA_LIFETIME_YEARS = 10;

function fromParts(signer: CaSigner, certificateDer: Uint8Array, higherChain: Uint8Array[]): IssuingCa {
  const certificate = new x509.X509Certificate(certificateDer.slice());
  const certificateSpki = Buffer.from(certificate.publicKey.rawData);
  if (!certificateSpki.equals(Buffer.from(signer.publicKeySpkiDer))) {
    throw new Error('the CA certificate does not match the CA key');
  }
  return {
    signer, certificateDer, certificate, chainDer: [certificateDer, ...higherChain],
    subjectNameDer: new Uint8Array(certificate.subjectName.toArrayBuffer()),
    keyIdentifier: keyIdentifier(signer.publicKeySpkiDer),
  };
}

async function createSelfSignedCa(signer: CaSigner, displayName: string, now: Date): Promise<Uint8Array> {
  const name = distinguishedName([[OID.commonName, `${displayName} Derived PIV CA`], [OID.organizationName, 'dck']]);
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_LIFETIME_YEARS);

  return buildCertificate({
    serialNumber: newSerialNumber(), issuerNameDer: name, subjectNameDer: name,
    notBefore: new Date(now.getTime() - 60_000), notAfter, subjectPublicKeySpkiDer: signer.publicKeySpkiDer,
    extensions: [
      basicConstraints(true, 0),
      keyUsage(['keyCertSign', 'cRLSign']),
      subjectKeyIdentifier(keyIdentifier(signer.publicKeySpkiDer)),
    ],
  }, signer);
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
  return fromParts(signer, certificateDer, []);
}

export function loadCaFromFiles(certificateFile: string, keyFile: string, chainFiles: string[]): IssuingCa {
  const [certificateDer] = pemToDerList(readFileSync(certificateFile, 'utf8'));
  if (certificateDer === undefined) throw new Error(`no certificate in ${certificateFile}`);
  const privateKey: KeyObject = createPrivateKey(readFileSync(keyFile));
  const chain = chainFiles.flatMap((file) => pemToDerList(readFileSync(file, 'utf8')));
  return fromParts(softwareCaSigner(privateKey), certificateDer, chain);
}

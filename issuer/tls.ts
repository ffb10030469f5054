// TLS identity of the service. Embedded default: a self-signed loopback certificate (127.0.0.1, ::1, localhost)
// created once in the data dir, so clients can pin it across restarts.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCertificate, keyIdentifier, newSerialNumber } from './ca/certificate-builder.ts';
import { OID, distinguishedName } from './ca/der.ts';
import { basicConstraints, extendedKeyUsage, keyUsage, subjectAltName, subjectKeyIdentifier } from './ca/extensions.ts';
import { softwareCaSigner } from './ca/ca-signer.ts';
import { derToPem } from './ca/pem.ts';

export interface TlsIdentity {
  keyPem: string;
  certificatePem: string;
}

const TLS_KEY_FILE = 'tls-key.pem';
const TLS_CERT_FILE = 'tls-certificate.pem';

export async function loadOrCreateLoopbackTls(dataDir: string, now: Date): Promise<TlsIdentity> {
  const keyFile = join(dataDir, TLS_KEY_FILE);
  const certFile = join(dataDir, TLS_CERT_FILE);
  if (existsSync(keyFile) && existsSync(certFile)) {
    return { keyPem: readFileSync(keyFile, 'utf8'), certificatePem: readFileSync(certFile, 'utf8') };
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = softwareCaSigner(privateKey);
  const name = distinguishedName([[OID.commonName, 'dck issuer (loopback)']]);
  const notAfter = new Date(now.getTime() + 5 * 365 * 86_400_000);
  const der = await buildCertificate(
    {
      serialNumber: newSerialNumber(),
      issuerNameDer: name,
      subjectNameDer: name,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      subjectPublicKeySpkiDer: signer.publicKeySpkiDer,
      extensions: [
        basicConstraints(false),
        keyUsage(['digitalSignature']),
        extendedKeyUsage(['1.3.6.1.5.5.7.3.1']),
        subjectAltName([{ ip: '127.0.0.1' }, { ip: '::1' }, { dns: 'localhost' }]),
        subjectKeyIdentifier(keyIdentifier(signer.publicKeySpkiDer)),
      ],
    },
    signer,
  );
  const identity = {
    keyPem: String(privateKey.export({ type: 'pkcs8', format: 'pem' })),
    certificatePem: derToPem(der),
  };
  writeFileSync(keyFile, identity.keyPem, { mode: 0o600 });
  writeFileSync(certFile, identity.certificatePem);
  return identity;
}

export function loadTlsFromFiles(certificateFile: string, keyFile: string): TlsIdentity {
  return { keyPem: readFileSync(keyFile, 'utf8'), certificatePem: readFileSync(certificateFile, 'utf8') };
}

// TLS identity of the service. Embedded default: a self-signed loopback certificate (127.0.0.1, ::1, localhost)
// created once in the data dir, so clients can pin it across restarts.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { buildCertificate, keyIdentifierHex, nameDer, newSerialNumber } from './ca/certificate-builder.ts';
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
  const name = nameDer([{ CN: ['dck issuer (loopback)'] }]);
  const notAfter = new Date(now.getTime() + 5 * 365 * 86_400_000);
  const der = await buildCertificate({
    serialNumber: newSerialNumber(), issuerNameDer: name, subjectNameDer: name,
    notBefore: new Date(now.getTime() - 60_000), notAfter, subjectPublicKeySpkiDer: signer.publicKeySpkiDer,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1'], false),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' }, { type: 'dns', value: 'localhost' },
      ], false),
      new x509.SubjectKeyIdentifierExtension(keyIdentifierHex(signer.publicKeySpkiDer)),
    ],
  }, signer);
  const identity = { keyPem: String(privateKey.export({ type: 'pkcs8', format: 'pem' })), certificatePem: derToPem(der) };
  writeFileSync(keyFile, identity.keyPem, { mode: 0o600 });
  writeFileSync(certFile, identity.certificatePem);
  return identity;
}

export function loadTlsFromFiles(certificateFile: string, keyFile: string): TlsIdentity {
  return { keyPem: readFileSync(keyFile, 'utf8'), certificatePem: readFileSync(certificateFile, 'utf8') };
}


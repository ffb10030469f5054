// OCSP for a retired issuer generation. After `dck admin issuer replace` the old CA signs nothing more, yet relying
// parties still ask the responder its certificates name about them, and must hear "revoked" (RFC 6960: answers are
// signed by the CA or by a responder it delegated to). So while the old CA's key is still in hand — when the
// replacement signs the final CRL — it also signs one delegated responder certificate (id-kp-OCSPSigning,
// id-pkix-ocsp-nocheck, valid until the old CA certificate expires) for a new key kept beside the retired CA files.
// Every later start loads these, and the responder answers for the retired generations with them.
import 'reflect-metadata';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { softwareCaSigner } from '../ca/ca-signer.ts';
import { buildCertificate, keyIdentifier, newSerialNumber } from '../ca/certificate-builder.ts';
import { OID, distinguishedName } from '../ca/der.ts';
import {
  authorityKeyIdentifier,
  extendedKeyUsage,
  keyUsage,
  ocspNoCheck,
  subjectKeyIdentifier,
} from '../ca/extensions.ts';
import type { IssuingCa } from '../ca/issuing-ca.ts';
import { derToPem, pemToDerList } from '../ca/pem.ts';
import type { IssuerStorage } from '../storage/issuer-storage.ts';
import type { OcspIssuer } from './ocsp-responder.ts';

/** The responder key and certificate of retired generation `generation`, beside `retired-ca-<generation>-*.pem`. */
export function retiredResponderFiles(
  dataDir: string,
  generation: number,
): { keyFile: string; certificateFile: string } {
  return {
    keyFile: join(dataDir, `retired-ca-${generation}-ocsp-key.pem`),
    certificateFile: join(dataDir, `retired-ca-${generation}-ocsp-certificate.pem`),
  };
}

/**
 * Has the old CA (still in hand) certify a new responder key for its generation; returns the PEM texts for the
 * caller to write durably. Called once per replacement, before the old key is put away.
 */
export async function certifyRetiredResponder(
  oldCa: IssuingCa,
  generation: number,
  now: Date,
): Promise<{ keyPem: string; certificatePem: string }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const responder = softwareCaSigner(privateKey);
  const certificateDer = await buildCertificate(
    {
      serialNumber: newSerialNumber(),
      issuerNameDer: oldCa.subjectNameDer,
      subjectNameDer: distinguishedName([
        [OID.commonName, `OCSP responder, issuer generation ${generation}`],
        [OID.organizationName, 'dck'],
      ]),
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: oldCa.certificate.notAfter,
      subjectPublicKeySpkiDer: responder.publicKeySpkiDer,
      extensions: [
        keyUsage(['digitalSignature']),
        extendedKeyUsage([OID.ocspSigning]),
        ocspNoCheck(),
        subjectKeyIdentifier(keyIdentifier(responder.publicKeySpkiDer)),
        authorityKeyIdentifier(oldCa.keyIdentifier),
      ],
    },
    oldCa.signer,
  );
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificatePem: derToPem(certificateDer),
  };
}

/**
 * The responders of every retired generation below `liveGeneration` whose files are in the data directory (a
 * generation retired by a new `ca` in the config, not by `dck admin issuer replace`, has none: its certificates stay
 * unanswered, "unauthorized").
 * @throws when a responder file is there but unreadable (the start stops rather than answer wrongly)
 */
export async function loadRetiredResponders(
  dataDir: string,
  storage: Pick<IssuerStorage, 'findIssuerGeneration'>,
  liveGeneration: number,
): Promise<OcspIssuer[]> {
  const responders: OcspIssuer[] = [];
  for (let generation = 1; generation < liveGeneration; generation += 1) {
    const files = retiredResponderFiles(dataDir, generation);
    if (!existsSync(files.keyFile) || !existsSync(files.certificateFile)) continue;
    const record = await storage.findIssuerGeneration(generation);
    if (record === null) continue;
    const [certificateDer] = pemToDerList(readFileSync(files.certificateFile, 'utf8'));
    if (certificateDer === undefined) throw new Error(`no certificate in ${files.certificateFile}`);
    const signer = softwareCaSigner(createPrivateKey(readFileSync(files.keyFile)));
    responders.push(ocspIssuerOf(record.caCertificateDer, generation, signer, [certificateDer]));
  }
  return responders;
}

/** What the responder needs of one generation: whose certificates (the CA's name and key) and who signs. */
export function ocspIssuerOf(
  caCertificateDer: Uint8Array,
  generation: number,
  signer: OcspIssuer['signer'],
  certificatesDer: Uint8Array[],
): OcspIssuer {
  const ca = new x509.X509Certificate(caCertificateDer.slice());
  return {
    generation,
    caNameDer: new Uint8Array(ca.subjectName.toArrayBuffer()),
    caSpkiDer: new Uint8Array(ca.publicKey.rawData),
    signer,
    certificatesDer,
  };
}

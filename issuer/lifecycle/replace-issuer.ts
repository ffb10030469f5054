// `dck admin issuer replace` for the CA the issuer made in its data directory (seed 003 "Change the derived
// credential issuer"): a new CA key and certificate, a new issuer generation that revokes every credential of the
// old one, the old CA's final CRL (listing them, valid until the old CA certificate expires), and the old key
// retired. Crash-safe in this order, and finished or undone by the next start (`recoverIssuerReplacement`):
//   1 the new key + certificate are written beside the old ones (*.next.pem, fsync'd);
//   2 one transaction: the new generation, the old one retired, its credentials revoked, the audit rows;
//   3 the old CA signs its final CRL; 4 the old files are renamed retired-ca-<generation>-*.pem, the new ones moved in.
// Killed before 2: nothing changed, the next start deletes the *.next files. After 2: the next start does 3 and 4.
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { softwareCaSigner } from '../ca/ca-signer.ts';
import { createSelfSignedCa, dataDirCaFiles, loadCaFromFiles } from '../ca/issuing-ca.ts';
import type { IssuingCa } from '../ca/issuing-ca.ts';
import { derToPem, pemToDerList } from '../ca/pem.ts';
import type { IssuerConfig } from '../config.ts';
import type { IssuerStorage } from '../storage/issuer-storage.ts';
import { buildCrl } from './crl-builder.ts';
import type { LifecycleActor } from './credential-state.ts';
import { enterIssuerGeneration } from './issuer-generation.ts';
import type { RevocationReason } from './revocation-reason.ts';
import { certifyRetiredResponder, retiredResponderFiles } from './retired-ocsp-responder.ts';
import { readTenantSettings } from './tenant-settings.ts';

export class IssuerReplaceError extends Error {
  readonly code = 'issuer-replace-refused';
}

const nextFiles = (dataDir: string) => ({
  keyFile: join(dataDir, 'issuing-ca-key.next.pem'),
  certificateFile: join(dataDir, 'issuing-ca-certificate.next.pem'),
});
const retiredFiles = (dataDir: string, generation: number) => ({
  keyFile: join(dataDir, `retired-ca-${generation}-key.pem`),
  certificateFile: join(dataDir, `retired-ca-${generation}-certificate.pem`),
});

function writeDurably(file: string, text: string, mode: number): void {
  const fd = openSync(file, 'w', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

export interface ReplaceResult {
  oldGeneration: number;
  generation: number;
  revoked: string[];
  caCertificatePem: string;
}

export async function replaceDataDirIssuer(options: {
  dataDir: string;
  storage: IssuerStorage;
  config: IssuerConfig;
  now: Date;
  actor: LifecycleActor;
  reason: RevocationReason;
}): Promise<ReplaceResult> {
  const { dataDir, storage, now } = options;
  if (options.config.ca !== null) {
    throw new IssuerReplaceError(
      "this issuer's CA is configured (key files or an HSM): point `ca` at the new CA and restart the issuer; the new generation starts then",
    );
  }
  const live = dataDirCaFiles(dataDir);
  if (!existsSync(live.certificateFile) || !existsSync(live.keyFile))
    throw new IssuerReplaceError('no CA in this data directory: start the issuer once first');
  const oldCa = loadCaFromFiles(live.certificateFile, live.keyFile, []);
  const current = await storage.currentIssuerGeneration();
  if (current === null || !sameBytes(current.caCertificateDer, oldCa.certificateDer)) {
    throw new IssuerReplaceError(
      "the data directory's CA is not the live issuer generation: start the issuer once, then replace",
    );
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certificateDer = await createSelfSignedCa(softwareCaSigner(privateKey), options.config.displayName, now);
  const next = nextFiles(dataDir);
  writeDurably(next.keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  writeDurably(next.certificateFile, derToPem(certificateDer), 0o644);
  const started = await enterIssuerGeneration(
    storage,
    certificateDer,
    now,
    options.actor,
    options.reason,
    (await readTenantSettings(storage, options.config)).notificationTypes,
  );
  await finishReplacement(dataDir, storage, oldCa, current.generation, now);
  return {
    oldGeneration: current.generation,
    generation: started.generation,
    revoked: started.revoked,
    caCertificatePem: derToPem(certificateDer),
  };
}

/** The old CA's last CRL: every credential it issued that is revoked, valid until the old CA certificate expires. */
async function publishFinalCrl(storage: IssuerStorage, oldCa: IssuingCa, generation: number, now: Date): Promise<void> {
  const draft = await storage.draftCrl(generation, now.getTime());
  const nextUpdate = new Date(oldCa.certificate.notAfter.getTime());
  const der = await buildCrl(
    {
      issuerNameDer: oldCa.subjectNameDer,
      authorityKeyId: oldCa.keyIdentifier,
      crlNumber: draft.crlNumber,
      thisUpdate: now,
      nextUpdate,
      entries: draft.entries,
    },
    oldCa.signer,
  );
  await storage.publishCrl({
    generation,
    crlNumber: draft.crlNumber,
    stateVersion: draft.stateVersion,
    der,
    thisUpdate: now.getTime(),
    nextUpdate: nextUpdate.getTime(),
  });
}

async function finishReplacement(
  dataDir: string,
  storage: IssuerStorage,
  oldCa: IssuingCa,
  oldGeneration: number,
  now: Date,
): Promise<void> {
  await publishFinalCrl(storage, oldCa, oldGeneration, now);
  // The old key's last act beside the final CRL: a responder that answers for its certificates from now on.
  const responder = retiredResponderFiles(dataDir, oldGeneration);
  if (!existsSync(responder.certificateFile)) {
    const certified = await certifyRetiredResponder(oldCa, oldGeneration, now);
    writeDurably(responder.keyFile, certified.keyPem, 0o600);
    writeDurably(responder.certificateFile, certified.certificatePem, 0o644);
  }
  const live = dataDirCaFiles(dataDir);
  const retired = retiredFiles(dataDir, oldGeneration);
  const next = nextFiles(dataDir);
  if (existsSync(live.keyFile)) renameSync(live.keyFile, retired.keyFile);
  if (existsSync(live.certificateFile)) renameSync(live.certificateFile, retired.certificateFile);
  renameSync(next.keyFile, live.keyFile);
  renameSync(next.certificateFile, live.certificateFile);
}

/**
 * At start, before the CA is loaded: a replacement a crash interrupted is finished (its generation committed) or
 * undone (not committed). Returns what it did, for the log.
 */
export async function recoverIssuerReplacement(
  dataDir: string,
  storage: IssuerStorage,
  now: Date,
): Promise<'none' | 'finished' | 'undone'> {
  const next = nextFiles(dataDir);
  if (!existsSync(next.certificateFile)) return 'none';
  const [nextDer] = pemToDerList(readFileSync(next.certificateFile, 'utf8'));
  const current = await storage.currentIssuerGeneration();
  if (nextDer === undefined || current === null || !sameBytes(current.caCertificateDer, nextDer)) {
    rmSync(next.keyFile, { force: true });
    rmSync(next.certificateFile, { force: true });
    return 'undone';
  }
  const live = dataDirCaFiles(dataDir);
  if (!existsSync(next.keyFile)) {
    // Killed between the last two renames: the new key is in place, its certificate not yet.
    renameSync(next.certificateFile, live.certificateFile);
    return 'finished';
  }
  const oldGeneration = current.generation - 1;
  const retired = retiredFiles(dataDir, oldGeneration);
  const oldKey = existsSync(live.keyFile) ? live.keyFile : retired.keyFile;
  const oldCertificate = existsSync(live.certificateFile) ? live.certificateFile : retired.certificateFile;
  await finishReplacement(dataDir, storage, loadCaFromFiles(oldCertificate, oldKey, []), oldGeneration, now);
  return 'finished';
}

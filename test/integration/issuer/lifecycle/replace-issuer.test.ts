// Replacing the tenant's issuer (seed 003): a new CA and generation; every credential of the old one revoked and
// listed in the old CA's final CRL (OpenSSL checks it); the running issuer's old CA issues nothing more; after a
// restart the new CA issues under the new generation's CRL. OCSP says "revoked" for the old generation's
// certificates at once and after the restart (a delegated responder the old CA certified; OpenSSL checks it). A
// replacement killed half-way is finished or undone.
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routePath } from '../../../../contracts/issuer-routes.ts';
import * as x509 from '@peculiar/x509';
import { dataDirCaFiles, loadOrCreateDataDirCa } from '../../../../issuer/ca/issuing-ca.ts';
import { enterIssuerGeneration } from '../../../../issuer/lifecycle/issuer-generation.ts';
import { seedCredential } from '../../../unit/issuer/lifecycle/seed-credentials.ts';
import { parseIssuerConfig } from '../../../../issuer/config.ts';
import { recoverIssuerReplacement, replaceDataDirIssuer } from '../../../../issuer/lifecycle/replace-issuer.ts';
import { openSqliteStorage } from '../../../../issuer/storage/sqlite-storage.ts';
import { makeCsr, startHarness, upToRedeem } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';
import { issueCredential, opensslOcsp, opensslVerify, relyingPartyFiles } from './lifecycle-fixture.ts';

const admin = { kind: 'admin', id: 'test admin' } as const;
let dataDir: string;
let h: IssuerHarness;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'dck-replace-'));
  h = await startHarness({ dataDir });
});
afterAll(async () => {
  await h.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('dck admin issuer replace', { timeout: 120_000 }, () => {
  it("revokes the old generation into the old CA's final CRL; the old CA issues nothing more; the new one does after a restart", async () => {
    const old = await issueCredential(h);
    const oldCaFiles = await relyingPartyFiles(h, 1);
    const pending = await upToRedeem(h);

    const result = await replaceDataDirIssuer({
      dataDir,
      storage: h.issuer.storage,
      config: parseIssuerConfig({}),
      now: new Date(),
      actor: admin,
      reason: 'cessationOfOperation',
    });
    expect(result).toMatchObject({ oldGeneration: 1, generation: 2, revoked: [old.serialNumberHex] });
    // OCSP, still the running issuer (no restart): the old generation's certificate is revoked, not unknown.
    const running = await opensslOcsp(h, oldCaFiles.caFile, old.certificateFile);
    expect(running).toMatch(/Response verify OK/);
    expect(running).toMatch(/Cert Status: revoked/);
    // The running issuer still holds the old CA: what it signs now is refused at commit, nothing issued.
    const refused = await h.http.send<{ error: string }>(
      'POST',
      routePath('redeemEnrollment', { enrollmentId: pending.code.enrollmentId }),
      {
        json: { otp: pending.code.otp, csr: await makeCsr() },
        bearer: pending.accessToken,
      },
    );
    expect(refused.body.error).toBe('issuer-replaced');

    // The old generation's final CRL, signed by the old CA, lists the credential with its reason.
    const finalCrl = await relyingPartyFiles(h, 1);
    writeFileSync(finalCrl.caFile, readFileSync(join(dataDir, 'retired-ca-1-certificate.pem')));
    const verdict = await opensslVerify(finalCrl.caFile, finalCrl.crlFile, old.certificateFile);
    expect(verdict.output).toMatch(/certificate revoked/);
    expect(readFileSync(dataDirCaFiles(dataDir).certificateFile, 'utf8')).toBe(result.caCertificatePem);
    expect(readFileSync(oldCaFiles.caFile, 'utf8')).not.toBe(result.caCertificatePem);

    await h.close();
    h = await startHarness({ dataDir, pki: h.pki });
    expect(h.issuer.caCertificatePem).toBe(result.caCertificatePem);
    // After the restart the old CA signs nothing, yet OCSP still says revoked: signed by the responder the old CA
    // certified at the replacement (id-kp-OCSPSigning), which OpenSSL accepts with only the old CA trusted.
    const retiredCaFile = join(dataDir, 'rp-retired-ca-1.pem');
    writeFileSync(retiredCaFile, readFileSync(join(dataDir, 'retired-ca-1-certificate.pem')));
    const afterRestart = await opensslOcsp(h, retiredCaFile, old.certificateFile);
    expect(afterRestart).toMatch(/Response verify OK/);
    expect(afterRestart).toMatch(/Cert Status: revoked\n.*\n\s*Revocation Reason: cessationOfOperation/);
    expect(afterRestart).toMatch(/Subject: CN=OCSP responder, issuer generation 1/);
    const fresh = await issueCredential(h);
    const generation2 = await relyingPartyFiles(h, 2);
    expect(await opensslVerify(generation2.caFile, generation2.crlFile, fresh.certificateFile)).toMatchObject({
      ok: true,
    });
    expect(readFileSync(fresh.certificateFile, 'utf8')).not.toBe('');
  });

  it('a replacement killed before its transaction is undone at the next start; killed after it, finished', async () => {
    const storage = openSqliteStorage(join(mkdtempSync(join(tmpdir(), 'dck-recover-')), 'issuer.sqlite'), {
      checkpointIntervalMs: 0,
    });
    const dir = mkdtempSync(join(tmpdir(), 'dck-recover-dir-'));
    writeFileSync(join(dir, 'issuing-ca-certificate.next.pem'), h.issuer.caCertificatePem);
    writeFileSync(join(dir, 'issuing-ca-key.next.pem'), 'not used');
    expect(await recoverIssuerReplacement(dir, storage, new Date())).toBe('undone');
    expect(existsSync(join(dir, 'issuing-ca-certificate.next.pem'))).toBe(false);

    // Killed after the generation's transaction, before the final CRL and the file swap: the start finishes it.
    const oldCa = await loadOrCreateDataDirCa(dir, 'Old', new Date());
    await enterIssuerGeneration(storage, oldCa.certificateDer, new Date(), admin);
    const { serial } = await seedCredential(storage, { notAfter: Date.now() + 86_400_000 });
    const otherDir = mkdtempSync(join(tmpdir(), 'dck-recover-new-'));
    const newCa = await loadOrCreateDataDirCa(otherDir, 'New', new Date());
    copyFileSync(dataDirCaFiles(otherDir).keyFile, join(dir, 'issuing-ca-key.next.pem'));
    copyFileSync(dataDirCaFiles(otherDir).certificateFile, join(dir, 'issuing-ca-certificate.next.pem'));
    await enterIssuerGeneration(storage, newCa.certificateDer, new Date(), admin);
    expect(await recoverIssuerReplacement(dir, storage, new Date())).toBe('finished');
    expect(readFileSync(dataDirCaFiles(dir).certificateFile)).toEqual(
      readFileSync(dataDirCaFiles(otherDir).certificateFile),
    );
    const finalCrl = await storage.findPublishedCrl(1);
    const listed = new x509.X509Crl(new Uint8Array(finalCrl?.der ?? new Uint8Array())).entries.map((entry) =>
      entry.serialNumber.toLowerCase(),
    );
    expect(listed).toEqual([serial]);
    expect(
      await new x509.X509Crl(new Uint8Array(finalCrl?.der ?? new Uint8Array())).verify({
        publicKey: oldCa.certificate.publicKey,
      }),
    ).toBe(true);
    await storage.close();
  });
});

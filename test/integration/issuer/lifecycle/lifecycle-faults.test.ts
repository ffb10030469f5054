// Faults: the process revoking credentials, or replacing the issuer, is killed with SIGKILL part-way. After the
// issuer restarts, each credential is either revoked (with its audit row) and in the CRL, or untouched (no audit
// row, not in the CRL): never half of one.
import 'reflect-metadata';
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { startHarness } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';
import { seedCredential } from '../../../unit/issuer/lifecycle/seed-credentials.ts';
import { fetchBytes } from './lifecycle-fixture.ts';

const CHILD = join(import.meta.dirname, 'lifecycle-fault-child.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the child and SIGKILLs it once `killAfter` lines are out (or lets it finish); resolves with its lines. */
function runAndKill(args: string[], killAfter: number): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts);
      if (lines.length >= killAfter) child.kill('SIGKILL');
    });
    child.on('exit', () => resolve(lines));
  });
}

/** Serials (lower-case hex) the issuer's CRL of `generation` lists. */
async function crlSerials(h: IssuerHarness, generation: number): Promise<Set<string>> {
  const answer = await fetchBytes(h, `/revocation/crl/${generation}`);
  expect(answer.status).toBe(200);
  const crl = new x509.X509Crl(new Uint8Array(answer.body));
  return new Set(crl.entries.map((entry) => entry.serialNumber.toLowerCase().replace(/^(00)+/, '')));
}

async function auditedRevocations(h: IssuerHarness): Promise<Set<string>> {
  const rows = await h.issuer.storage.listAudit(0, 100_000);
  return new Set(
    rows
      .filter((row) => row.event === 'credential-revoke' && row.outcome === 'success')
      .map((row) => String(row.details.serialNumberHex)),
  );
}

describe('killed mid-way, nothing is left half-done', { timeout: 240_000 }, () => {
  it('revocations: after the restart each credential is revoked, audited and in the CRL, or untouched', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dck-fault-revoke-'));
    dirs.push(dataDir);
    let h = await startHarness({ dataDir });
    const now = Date.now();
    const serials: string[] = [];
    for (let i = 0; i < 40; i += 1)
      serials.push((await seedCredential(h.issuer.storage, { issuedAt: now, notAfter: now + 86_400_000 })).serial);
    const pki = h.pki;
    await h.close();

    const lines = await runAndKill([dataDir, 'revoke', ...serials], 10);
    expect(lines.length).toBeGreaterThanOrEqual(10);

    h = await startHarness({ dataDir, pki });
    try {
      const inCrl = await crlSerials(h, 1);
      const audited = await auditedRevocations(h);
      for (const serial of serials) {
        const stored = await h.issuer.storage.findDerivedCertificate(serial);
        const revoked = stored?.status === 'revoked';
        expect({ serial, revoked, audited: audited.has(serial), inCrl: inCrl.has(serial) }).toEqual({
          serial,
          revoked,
          audited: revoked,
          inCrl: revoked,
        });
      }
      // Every credential the child reported is among them.
      for (const line of lines) expect(inCrl.has(line.replace('revoked ', ''))).toBe(true);
    } finally {
      await h.close();
    }
  });

  it.each([0, 1, 2])(
    'issuer replacement killed after %i lines: the old generation is whole or wholly replaced',
    async (killAfter) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'dck-fault-replace-'));
      dirs.push(dataDir);
      let h = await startHarness({ dataDir });
      const now = Date.now();
      const serials: string[] = [];
      for (let i = 0; i < 20; i += 1)
        serials.push((await seedCredential(h.issuer.storage, { issuedAt: now, notAfter: now + 86_400_000 })).serial);
      const pki = h.pki;
      const oldCaPem = h.issuer.caCertificatePem;
      await h.close();

      await runAndKill([dataDir, 'replace'], killAfter === 0 ? Number.POSITIVE_INFINITY : killAfter);

      h = await startHarness({ dataDir, pki });
      try {
        const generation = (await h.issuer.storage.currentIssuerGeneration())?.generation;
        const states = await Promise.all(
          serials.map(async (serial) => (await h.issuer.storage.findDerivedCertificate(serial))?.status),
        );
        const audited = await auditedRevocations(h);
        if (generation === 1) {
          expect(h.issuer.caCertificatePem).toBe(oldCaPem);
          expect(new Set(states)).toEqual(new Set(['active']));
          expect(audited.size).toBe(0);
        } else {
          expect(generation).toBe(2);
          expect(h.issuer.caCertificatePem).not.toBe(oldCaPem);
          expect(new Set(states)).toEqual(new Set(['revoked']));
          expect([...audited].sort()).toEqual([...serials].sort());
          expect([...(await crlSerials(h, 1))].sort()).toEqual([...serials].sort());
        }
      } finally {
        await h.close();
      }
    },
  );
});

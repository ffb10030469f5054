// /readyz: may a load balancer send this node traffic? Ready when the database answers, the CA key signs, and
// every configured PIV CRL file is still current (a stale CRL would refuse every card with revocation-unavailable).
import 'reflect-metadata';
import { readFileSync, statSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import type { IssuerContext } from '../issuer-context.ts';

export type CheckResult = { ok: true } | { ok: false; reason: string };
export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; caSigner: CheckResult; crls: CheckResult };
}

/** Database look-up of an id no record has: proves the database answers, changes nothing. */
const PROBE_ID = 'readyz-probe';
/**
 * How long /readyz waits for the database. A balancer probes with a time-out of its own (2 s in README's deployment
 * section): a database host that accepts connections but does not answer (frozen, or a network cut that drops
 * packets) must make the node not ready within it, not hang the probe until storage.connectTimeoutMs.
 */
export const DATABASE_READY_TIMEOUT_MS = 1_000;

async function databaseCheck(ctx: IssuerContext): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: 'storage-no-answer' }), DATABASE_READY_TIMEOUT_MS);
  });
  const probe = ctx.storage.findChallenge(PROBE_ID).then(
    (): CheckResult => ({ ok: true }),
    (error: unknown): CheckResult => {
      const code = (error as { code?: unknown }).code;
      return { ok: false, reason: typeof code === 'string' ? code.slice(0, 60) : 'storage-error' };
    },
  );
  try {
    return await Promise.race([probe, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** nextUpdate of each CRL file, re-read only when the file changes (a CRL updater replaces it). */
export class CrlFreshness {
  private readonly cache = new Map<string, { mtimeMs: number; nextUpdate: number | null }>();

  check(files: readonly string[], now: number): CheckResult {
    for (const file of files) {
      let nextUpdate: number | null;
      try {
        nextUpdate = this.nextUpdate(file);
      } catch {
        return { ok: false, reason: `crl-unreadable: ${file}` };
      }
      if (nextUpdate === null) return { ok: false, reason: `crl-no-next-update: ${file}` };
      if (nextUpdate <= now) return { ok: false, reason: `crl-stale: ${file}` };
    }
    return { ok: true };
  }

  private nextUpdate(file: string): number | null {
    const { mtimeMs } = statSync(file);
    const cached = this.cache.get(file);
    if (cached?.mtimeMs === mtimeMs) return cached.nextUpdate;
    const crl = new x509.X509Crl(readFileSync(file));
    const nextUpdate = crl.nextUpdate?.getTime() ?? null;
    this.cache.set(file, { mtimeMs, nextUpdate });
    return nextUpdate;
  }
}

export async function readiness(ctx: IssuerContext, crls: CrlFreshness): Promise<Readiness> {
  const [database, caSigner] = await Promise.all([databaseCheck(ctx), ctx.ca.signer.health()]);
  const crlCheck = crls.check(ctx.config.pivTrust.crlFiles, ctx.now().getTime());
  return { ready: database.ok && caSigner.ok && crlCheck.ok, checks: { database, caSigner, crls: crlCheck } };
}

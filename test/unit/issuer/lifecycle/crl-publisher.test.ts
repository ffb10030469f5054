// The CRL publisher's shutdown: a revocation regenerates the CRL after its request has been answered, so the issuer's
// close must wait for that regeneration before it closes the storage (on PostgreSQL the pool would be ended under it:
// "Cannot use a pool after calling end"), and regenerate nothing once stopping.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateDataDirCa } from '../../../../issuer/ca/issuing-ca.ts';
import { startCrlPublisher } from '../../../../issuer/lifecycle/crl-publisher.ts';
import type { CrlPublisher } from '../../../../issuer/lifecycle/crl-publisher.ts';
import { enterIssuerGeneration } from '../../../../issuer/lifecycle/issuer-generation.ts';
import type { IssuerStorage } from '../../../../issuer/storage/issuer-storage.ts';
import { openTestStorage } from '../../../integration/issuer/storage/storage-kinds.ts';

let dir = '';
let storage: IssuerStorage;
let generation = 0;
let publisher: CrlPublisher;
let closed = false;
const warnings: string[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dck-crl-publisher-'));
  storage = await openTestStorage(dir);
  closed = false;
  const now = new Date();
  const ca = await loadOrCreateDataDirCa(dir, 'CRL Publisher Test CA', now);
  ({ generation } = await enterIssuerGeneration(storage, ca.certificateDer, now, { kind: 'issuer', id: 'crl-test' }));
  warnings.length = 0;
  publisher = startCrlPublisher({
    storage,
    ca,
    issuerGeneration: generation,
    now: () => new Date(),
    validityMs: 86_400_000,
    checkIntervalMs: 0,
    warn: (message) => warnings.push(message),
  });
});
afterEach(async () => {
  await publisher.stop();
  if (!closed) await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CRL publisher shutdown', () => {
  it('finishes the regeneration under way before stop() returns, so the storage can close after it', async () => {
    // Fire-and-forget, as a revocation does after answering its request.
    const regeneration = publisher.refresh();
    await publisher.stop();
    await storage.close();
    closed = true;
    await expect(regeneration).resolves.toMatchObject({ generation, crlNumber: 1 });
    expect(warnings).toEqual([]);
  });

  it('regenerates nothing once stopping: the next start publishes what changed', async () => {
    const first = await publisher.refresh();
    expect(first?.crlNumber).toBe(1);
    await publisher.stop();
    await expect(publisher.refresh()).resolves.toBeNull();
    expect((await storage.findPublishedCrl(generation))?.crlNumber).toBe(1);
  });
});

// An issued credential is stored with its card's revocation sources (the CRL and OCSP addresses the card monitor
// checks the card at), as of that issuance (credential-issue.postgres.test.ts runs it on PostgreSQL, where the
// certificate and its card's sources are written by one statement).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IssuerStorage } from '../../../../issuer/storage/issuer-storage.ts';
import { seedCredential } from '../../../unit/issuer/lifecycle/seed-credentials.ts';
import { openTestStorage } from './storage-kinds.ts';

let dir = '';
let storage: IssuerStorage;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dck-credential-issue-'));
  storage = await openTestStorage(dir);
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('issuing a derived credential', () => {
  it("stores the certificate, active, with its card's revocation sources", async () => {
    const { serial, cardId } = await seedCredential(storage);
    expect(await storage.findDerivedCredential(serial)).toMatchObject({
      serialNumberHex: serial,
      status: 'active',
      card: { id: cardId, crlUrls: ['http://crl.example/piv.crl'], ocspUrl: null },
    });
  });
});

// The issuer's rule functions without HTTP: a real SQLite file (or a PostgreSQL database, see storage-kinds.ts), a real CA, the real PKI-AUTH verifier against a
// test PKI with CRL files, and a clock that moves only when a test moves it.
import 'reflect-metadata';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateDataDirCa } from '../../../issuer/ca/issuing-ca.ts';
import { parseIssuerConfig } from '../../../issuer/config.ts';
import { authorizeDevice } from '../../../issuer/device-flow/authorize-device.ts';
import { EnrollmentEvents } from '../../../issuer/enrollment-events.ts';
import { startCrlPublisher } from '../../../issuer/lifecycle/crl-publisher.ts';
import { enterIssuerGeneration } from '../../../issuer/lifecycle/issuer-generation.ts';
import { readTenantSettings } from '../../../issuer/lifecycle/tenant-settings.ts';
import { approveUserCode } from '../../../issuer/enrollment/approve-user-code.ts';
import type { GuessCounter } from '../../../issuer/enrollment/code-guesses.ts';
import { showDevicePairing } from '../../../issuer/pairing/device-pairing.ts';
import type { RouteRuleResult } from '../../../issuer/refusal.ts';
import type { IssuerContext } from '../../../issuer/issuer-context.ts';
import { issueChallenge } from '../../../issuer/pki-auth/issue-challenge.ts';
import { signInWithCard } from '../../../issuer/pki-auth/sign-in-with-card.ts';
import {
  verifyCardAuthentication,
  verifyCardCertificate,
} from '../../../issuer/pki-auth/verify-card-authentication.ts';
import { CodeHasher } from '../../../issuer/secrets.ts';
import { openTestStorage } from '../../integration/issuer/storage/storage-kinds.ts';
import { buildCrl } from '../../../virtual-card/revocation.ts';
import { createTestPki } from '../../../virtual-card/test-pki.ts';
import type { IssuedCardCertificate, TestPki } from '../../../virtual-card/test-pki.ts';
import { signPkiAuth } from '../../integration/pki-auth/card-signature.ts';
import type { KioskRequestProof } from '../../../issuer/kiosks/kiosk-request.ts';

/** A call without a kiosk signature (the tenant's default `kioskSignatures: optional` lets it through). */
export const UNSIGNED_CALL: KioskRequestProof = { header: null, method: 'POST', path: '/', bodySha256: '' };

/**
 * What an honest kiosk does: show the phone behind the code (number matching), then approve it with the number
 * shown. When showing is refused, that is the answer (the code is looked at once, as the kiosk does).
 */
export async function showThenApprove(
  ctx: IssuerContext,
  guesses: GuessCounter,
  input: { sessionToken: string | null; userCode: string; ip: string },
): Promise<RouteRuleResult<'approveUserCode'>> {
  const shown = await showDevicePairing(ctx, guesses, input);
  if (!shown.ok) return shown;
  return approveUserCode(ctx, guesses, {
    sessionToken: input.sessionToken,
    request: { userCode: input.userCode, matchNumber: shown.value.matchNumber },
    ip: input.ip,
    kioskProof: UNSIGNED_CALL,
  });
}

export interface RuleHarness {
  ctx: IssuerContext;
  pki: TestPki;
  /** Moves the fixed clock forward. */
  advance(ms: number): void;
  card(): Promise<IssuedCardCertificate>;
  /** PKI-AUTH with the real verifier → the kiosk session token. */
  signIn(card: IssuedCardCertificate): Promise<string>;
  /** RFC 8628 device authorization → the phone's device_code and user_code. */
  startPhone(): Promise<{ deviceCode: string; userCode: string }>;
  /** Every audit row's event and code since the harness was set up (its issuer generation's row left out), oldest first. */
  auditCodes(): Promise<Array<[string, string | null]>>;
  close(): Promise<void>;
}

export async function startRuleHarness(config: Record<string, unknown> = {}): Promise<RuleHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'dck-rules-'));
  let clock = Date.now();
  const now = () => new Date(clock);
  const pki = await createTestPki();
  const crlFiles = [join(dir, 'root.crl'), join(dir, 'intermediate.crl')];
  writeFileSync(crlFiles[0] ?? '', await buildCrl({ issuer: pki.root, nextUpdate: new Date(clock + 86_400_000) }));
  writeFileSync(
    crlFiles[1] ?? '',
    await buildCrl({ issuer: pki.intermediate, nextUpdate: new Date(clock + 86_400_000) }),
  );
  const parsed = parseIssuerConfig(config);
  const storage = await openTestStorage(dir);
  const ca = await loadOrCreateDataDirCa(dir, 'Rule Test CA', now());
  const { generation } = await enterIssuerGeneration(storage, ca.certificateDer, now(), {
    kind: 'issuer',
    id: 'rule-test',
  });
  const setupAuditSequence = (await storage.listAudit(0, 1000)).at(-1)?.sequence ?? 0;
  const ctx: IssuerContext = {
    config: parsed,
    storage,
    ca,
    codes: new CodeHasher(new Uint8Array(randomBytes(32))),
    events: new EnrollmentEvents(),
    trustPolicy: {
      trustAnchorsDer: [pki.root.der],
      intermediatesDer: [pki.intermediate.der],
      requiredPolicyOids: parsed.pivTrust.requiredPolicyOids,
      crlUrls: [],
      crlFiles,
      ocspUrl: null,
      now,
    },
    verifyCard: verifyCardAuthentication,
    checkCardStatus: verifyCardCertificate,
    baseUrl: 'https://issuer.test',
    now,
    issuerGeneration: generation,
    crl: startCrlPublisher({
      storage,
      ca,
      issuerGeneration: generation,
      now,
      validityMs: 86_400_000,
      checkIntervalMs: 0,
      warn: () => undefined,
    }),
    retiredOcspResponders: [],
    tenant: () => readTenantSettings(storage, parsed),
    audit: (event, outcome, code, details) => storage.appendAudit({ at: clock, event, outcome, code, details }),
  };
  let serial = 0;
  return {
    ctx,
    pki,
    advance: (ms) => {
      clock += ms;
    },
    card: () => pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: `Rule Holder ${(serial += 1)}` }),
    signIn: async (card) => {
      const challenge = await issueChallenge(ctx, {
        request: { kioskId: 'kiosk-1' },
        kioskProof: UNSIGNED_CALL,
        ip: '127.0.0.1',
      });
      if (!challenge.ok) throw new Error(challenge.error.code);
      const key = createPrivateKey({ key: Buffer.from(card.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
      const signed = signPkiAuth(key, card.keyAlgorithm, Buffer.from(challenge.value.challenge, 'base64url'));
      const session = await signInWithCard(ctx, {
        ip: '127.0.0.1',
        kioskProof: UNSIGNED_CALL,
        answer: {
          challengeId: challenge.value.challengeId,
          certificate: Buffer.from(card.der).toString('base64url'),
          kioskNonce: Buffer.from(signed.kioskNonce).toString('base64url'),
          signature: Buffer.from(signed.signature).toString('base64url'),
        },
      });
      if (!session.ok) throw new Error(`sign-in refused: ${session.error.code} ${session.error.detail ?? ''}`);
      return session.value.sessionToken;
    },
    startPhone: async () => {
      const device = await authorizeDevice(ctx, { request: { client_id: 'dck-phone' }, ip: '127.0.0.1' });
      if (!device.ok) throw new Error(device.error.code);
      return { deviceCode: device.value.device_code, userCode: device.value.user_code };
    },
    auditCodes: async () =>
      (await storage.listAudit(setupAuditSequence, 1000)).map((row): [string, string | null] => [row.event, row.code]),
    close: async () => {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

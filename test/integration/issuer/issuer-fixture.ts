// Shared set-up of the issuer tests and benchmark: the demo PKI (root + intermediate), CRLs for both levels,
// a real issuer on loopback with a real SQLite file in a temp dir, and the steps of the flow as functions.
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import Database from 'better-sqlite3';
import { DEVICE_CODE_GRANT_TYPE } from '../../../contracts/issuer-api.ts';
import type {
  DeviceAuthorizationResponse,
  DevicePairing,
  EnrollmentCode,
  KioskSession,
  TokenResponse,
  ChallengeResponse,
  RedeemResponse,
} from '../../../contracts/issuer-api.ts';
import { parseIssuerConfig } from '../../../issuer/config.ts';
import { changeTenantSettings } from '../../../issuer/lifecycle/tenant-settings.ts';
import { startIssuer } from '../../../issuer/start-issuer.ts';
import type { RunningIssuer, StartIssuerOptions } from '../../../issuer/start-issuer.ts';
import { openConfiguredStorage } from '../../../issuer/storage/open-storage.ts';
import { isPostgresStorage } from '../../../issuer/storage/postgres-storage.ts';
import { ISSUER_DATABASE_FILE } from '../../../issuer/storage/sqlite-storage.ts';
import type { PostgresSettings } from '../../../issuer/storage/postgres-connection.ts';
import type { StorageConfig } from '../../../issuer/storage/storage-config.ts';
import { createTestPki } from '../../../virtual-card/test-pki.ts';
import type { CardKeyAlgorithm, IssuedCardCertificate, TestPki } from '../../../virtual-card/test-pki.ts';
import { buildCrl } from '../../../virtual-card/revocation.ts';
import { IssuerHttpClient } from './issuer-client.ts';
import type { HttpAnswer } from './issuer-client.ts';
import { newKioskNonce, pkiAuthMessageBytes, signAsCard } from '../pki-auth/card-signature.ts';
import { sharedPostgres } from './storage/postgres-server.ts';
import { currentStorageKind } from './storage/storage-kinds.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface IssuerHarness {
  issuer: RunningIssuer;
  http: IssuerHttpClient;
  pki: TestPki;
  dataDir: string;
  card(options?: { keyAlgorithm?: CardKeyAlgorithm; notAfter?: Date }): Promise<IssuedCardCertificate>;
  /** Moves the issuer's clock forward (expiry tests); real time keeps running underneath. */
  advanceClock(ms: number): void;

  close(): Promise<void>;
}

/**
 * The `storage` section of a harness: the test's own, or else the storage kind of the test file
 * (storage-kinds.ts): SQLite in the data dir, or a new database on the process's PostgreSQL server, so that a
 * `*.postgres.test.ts` twin runs a flow test written once on PostgreSQL.
 */
async function harnessStorage(config: Record<string, unknown>): Promise<StorageConfig> {
  if (config.storage !== undefined) return config.storage as StorageConfig;
  if (currentStorageKind() === 'sqlite') return { kind: 'sqlite' };
  return postgresStorageConfig(await (await sharedPostgres()).createDatabase());
}

/** The issuer config's `storage` section for a database of a test server (postgres-server.ts). */
export function postgresStorageConfig(database: PostgresSettings): StorageConfig {
  return {
    kind: 'postgres',
    url: database.url,
    poolSize: database.poolSize,
    statementTimeoutMs: database.statementTimeoutMs,
    connectTimeoutMs: database.connectTimeoutMs,
    tls: null,
  };
}

export async function startHarness(
  overrides: {
    config?: Record<string, unknown>;
    now?: () => Date;
    pki?: TestPki;
    dataDir?: string;
    /** Tenant settings (name → text, as `dck admin tenant set` takes them) set in the database before the start. */
    tenantSettings?: Record<string, string>;
  } & Partial<StartIssuerOptions> = {},
): Promise<IssuerHarness> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'dck-issuer-test-'));
  const storage = await harnessStorage(overrides.config ?? {});
  if (overrides.tenantSettings !== undefined) await setTenantSettings(dataDir, overrides.tenantSettings, storage);
  const pki = overrides.pki ?? (await createTestPki());
  const rootCrl = join(dataDir, 'root.crl');
  const intermediateCrl = join(dataDir, 'intermediate.crl');
  writeFileSync(rootCrl, await buildCrl({ issuer: pki.root, nextUpdate: new Date(Date.now() + 86_400_000) }));
  writeFileSync(
    intermediateCrl,
    await buildCrl({ issuer: pki.intermediate, nextUpdate: new Date(Date.now() + 86_400_000) }),
  );
  const config = overrides.config ?? {};
  let clockOffsetMs = 0;
  const issuer = await startIssuer({
    now: () => new Date(Date.now() + clockOffsetMs),
    ...overrides,
    dataDir,
    port: 0,
    config: {
      ...config,
      storage,
      pivTrust: { crlFiles: [rootCrl, intermediateCrl], ...(config.pivTrust as object | undefined) },
      // Every test of a file signs in and starts phones from the same loopback address: far more than the
      // per-address default for unauthenticated routes allows. Tests of those limits set them.
      rateLimits: {
        unauthenticatedPerAddressPerMinute: 100_000,
        unauthenticatedServicePerMinute: 100_000,
        ...(config.rateLimits as object | undefined),
      },
    },
    trustAnchorsDer: [pki.root.der],
    intermediatesDer: [pki.intermediate.der],
  });
  const http = new IssuerHttpClient(issuer.url, issuer.tlsCertificatePem, 64);
  let serial = 0;
  return {
    issuer,
    http,
    pki,
    dataDir,
    advanceClock: (ms) => {
      clockOffsetMs += ms;
    },
    card: (options = {}) =>
      pki.issueCardCertificate({
        keyAlgorithm: options.keyAlgorithm ?? 'P-256',
        commonName: `Test Cardholder ${(serial += 1)}`,
        ...(options.notAfter === undefined ? {} : { notAfter: options.notAfter }),
      }),
    close: async () => {
      http.close();
      await issuer.close();
      if (overrides.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Raw SQL on the harness issuer's database, either store, `?` placeholders (PostgreSQL's are numbered: $1, $2 …):
 * what a test checks behind the API.
 */
export async function harnessSql(
  h: Pick<IssuerHarness, 'issuer' | 'dataDir'>,
  text: string,
  values: readonly unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const { storage } = h.issuer;
  if (isPostgresStorage(storage)) {
    let n = 0;
    const numbered = text.replace(/\?/g, () => `$${(n += 1)}`);
    return storage.pool.read((sql) => sql.rows(numbered, values));
  }
  const db = new Database(join(h.dataDir, ISSUER_DATABASE_FILE));
  try {
    const statement = db.prepare(text);
    if (statement.reader) return statement.all(...values) as Record<string, unknown>[];
    statement.run(...values);
    return [];
  } finally {
    db.close();
  }
}

/** Everything the database holds, as text: the SQLite file's bytes, or every PostgreSQL table's rows as JSON. */
export async function databaseText(h: Pick<IssuerHarness, 'issuer' | 'dataDir'>): Promise<string> {
  if (!isPostgresStorage(h.issuer.storage))
    return readFileSync(join(h.dataDir, ISSUER_DATABASE_FILE)).toString('latin1');
  const tables = await harnessSql(
    h,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  const dumps = await Promise.all(
    tables.map(({ table_name: table }) =>
      harnessSql(h, `SELECT row_to_json(t)::text AS row FROM "${String(table)}" t`),
    ),
  );
  return dumps
    .flat()
    .map(({ row }) => String(row))
    .join('\n');
}

/** Tenant settings written as `dck admin tenant set` writes them (audited), on the issuer's database. */
export async function setTenantSettings(
  dataDir: string,
  changes: Record<string, string>,
  storageConfig: StorageConfig = { kind: 'sqlite' },
): Promise<void> {
  const storage = await openConfiguredStorage(storageConfig, dataDir);
  try {
    await changeTenantSettings(storage, parseIssuerConfig({}), changes, { kind: 'admin', id: 'test' }, new Date());
  } finally {
    await storage.close();
  }
}

/** The card's signature over any `message` (SHA-256, SHA-384 for P-384; ECDSA as DER), no PKI-AUTH framing. */
export function cardSign(card: IssuedCardCertificate, message: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.from(card.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
  return signAsCard(key, card.keyAlgorithm, message);
}

/** Ways a test answers a challenge other than as an honest kiosk does. */
export interface ChallengeAnswerTamper {
  /** Sign the PKI-AUTH message built over this issuer nonce instead of the one issued. */
  readonly signedChallenge?: Uint8Array;
  /** Send (and sign with) this kiosk nonce instead of a fresh 32-byte one. */
  readonly kioskNonce?: Uint8Array;
  /** Send this signature as it is. */
  readonly signature?: Uint8Array;
}

export const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

export async function phoneStart(http: IssuerHttpClient): Promise<DeviceAuthorizationResponse> {
  const answer = await http.route<'deviceAuthorization', DeviceAuthorizationResponse>('deviceAuthorization', {
    body: { client_id: 'dck-phone' },
    form: true,
  });
  if (answer.status !== 200) throw new Error(`device authorization failed: ${answer.text}`);
  return answer.body;
}

export function phonePoll(
  http: IssuerHttpClient,
  deviceCode: string,
): Promise<HttpAnswer<TokenResponse & { error?: string }>> {
  return http.route('token', {
    body: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: deviceCode, client_id: 'dck-phone' },
    form: true,
  });
}

export async function challenge(http: IssuerHttpClient): Promise<ChallengeResponse> {
  const answer = await http.route<'pkiAuthChallenge', ChallengeResponse>('pkiAuthChallenge', {
    body: { kioskId: 'kiosk-1' },
  });
  if (answer.status !== 200) throw new Error(`challenge failed: ${answer.text}`);
  return answer.body;
}

export function answerChallenge(
  http: IssuerHttpClient,
  card: IssuedCardCertificate,
  issued: ChallengeResponse,
  tamper: ChallengeAnswerTamper = {},
): Promise<HttpAnswer<KioskSession & { error?: string }>> {
  const kioskNonce = tamper.kioskNonce ?? newKioskNonce();
  const signature =
    tamper.signature ??
    cardSign(
      card,
      pkiAuthMessageBytes(
        tamper.signedChallenge ?? new Uint8Array(Buffer.from(issued.challenge, 'base64url')),
        kioskNonce,
      ),
    );
  return http.route('pkiAuthResponse', {
    body: {
      challengeId: issued.challengeId,
      kioskNonce: b64u(kioskNonce),
      certificate: b64u(card.der),
      signature: b64u(signature),
    },
  });
}

export async function kioskSignIn(http: IssuerHttpClient, card: IssuedCardCertificate): Promise<KioskSession> {
  const answer = await answerChallenge(http, card, await challenge(http));
  if (answer.status !== 200) throw new Error(`PKI-AUTH failed: ${answer.text}`);
  return answer.body;
}

/** Number matching, step 1: the kiosk shows the phone behind `userCode` (what it reported, the number). */
export function showPairing(
  http: IssuerHttpClient,
  sessionToken: string,
  userCode: string,
): Promise<HttpAnswer<DevicePairing & { error?: string }>> {
  return http.route('devicePairings', { body: { userCode }, bearer: sessionToken });
}

/** Step 2 alone: approve with the number the person confirmed. */
export function approveShown(
  http: IssuerHttpClient,
  sessionToken: string,
  userCode: string,
  matchNumber: string,
): Promise<HttpAnswer<EnrollmentCode & { error?: string }>> {
  return http.route('approveUserCode', { body: { userCode, matchNumber }, bearer: sessionToken });
}

/**
 * What an honest kiosk does: show the phone, then approve it with the number shown. When showing is refused,
 * that answer is the result (the code is looked at once, as the kiosk does).
 */
export async function approve(
  http: IssuerHttpClient,
  sessionToken: string,
  userCode: string,
): Promise<HttpAnswer<EnrollmentCode & { error?: string }>> {
  const shown = await showPairing(http, sessionToken, userCode);
  if (shown.status !== 200)
    return {
      status: shown.status,
      text: shown.text,
      body: JSON.parse(shown.text) as EnrollmentCode & { error?: string },
    };
  return approveShown(http, sessionToken, userCode, shown.body.matchNumber);
}

/** A PKCS#10 request from a fresh WebCrypto key. */
export async function makeCsr(
  algorithm: EcKeyGenParams | RsaHashedKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' },
): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=phone',
    keys,
    signingAlgorithm: algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : algorithm,
  });
  return csr.toString('pem');
}

/** A CSR made by OpenSSL for a key type WebCrypto cannot make (e.g. secp256k1). */
export function opensslCsr(keyArgs: string[]): string {
  return execFileSync('openssl', ['req', '-new', '-nodes', '-subj', '/CN=phone', '-keyout', '/dev/null', ...keyArgs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

export function redeem(
  http: IssuerHttpClient,
  accessToken: string,
  enrollmentId: string,
  otp: string,
  csr: string,
): Promise<HttpAnswer<RedeemResponse & { error?: string; message?: string; attemptsLeft?: number }>> {
  return http.route('redeemEnrollment', { params: { enrollmentId }, body: { otp, csr }, bearer: accessToken });
}

/** Device code → PKI-AUTH → approve → token: everything up to the phone's redeem. */
export async function upToRedeem(h: IssuerHarness, card?: IssuedCardCertificate) {
  const device = await phoneStart(h.http);
  const session = await kioskSignIn(h.http, card ?? (await h.card()));
  const approved = await approve(h.http, session.sessionToken, device.user_code);
  if (approved.status !== 201) throw new Error(`approve failed: ${approved.text}`);
  const token = await phonePoll(h.http, device.device_code);
  if (token.status !== 200) throw new Error(`token failed: ${token.text}`);
  return { device, session, code: approved.body, accessToken: token.body.access_token };
}

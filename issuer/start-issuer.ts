// Starts the issuer in-process: used by `dck issuer` (each worker of `--workers N`), by the kiosk's embedded
// default, by tests and benchmarks. One process; issuer/cluster/ runs several on one data dir.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { derToPem, pemToDerList } from './ca/pem.ts';
import { loadConfiguredCa } from './ca/issuing-ca.ts';
import type { IssuingCa } from './ca/issuing-ca.ts';
import { loadIssuerConfigFile, parseIssuerConfig } from './config.ts';
import type { IssuerConfig } from './config.ts';
import { EnrollmentEvents } from './enrollment-events.ts';
import { startCrlPublisher } from './lifecycle/crl-publisher.ts';
import type { CrlPublisher } from './lifecycle/crl-publisher.ts';
import { revokeAllForCard } from './lifecycle/credential-state.ts';
import { enterIssuerGeneration } from './lifecycle/issuer-generation.ts';
import { recoverIssuerReplacement } from './lifecycle/replace-issuer.ts';
import { loadRetiredResponders } from './lifecycle/retired-ocsp-responder.ts';
import { readTenantSettings, tenantSettingsReader } from './lifecycle/tenant-settings.ts';
import { startMaintenance } from './maintenance/maintenance-job.ts';
import { startCardMonitor } from './eligibility/card-monitor.ts';
import type { CardMonitorJob } from './eligibility/card-monitor.ts';
import { createCardRevocationOracle } from './eligibility/card-revocation-oracle.ts';
import { cardRevokedAction } from './eligibility/card-revoked-action.ts';
import type { OnCardRevoked, RevokeAllForCard } from './eligibility/card-revoked-action.ts';
import type { MaintenanceJob } from './maintenance/maintenance-job.ts';
import { createDirectoryLookup } from './notifications/directory-lookup.ts';
import { createMailTransport } from './notifications/mail-transport.ts';
import { startNotifications } from './notifications/notification-job.ts';
import type { NotificationJob } from './notifications/notification-job.ts';
import type { CardStatusChecker, CardVerifier, IssuerContext } from './issuer-context.ts';
import { verifyCardAuthentication, verifyCardCertificate } from './pki-auth/verify-card-authentication.ts';
import { CodeHasher } from './secrets.ts';
import { buildIssuerApp } from './server.ts';
import { IssuerMetrics } from './operations/metrics.ts';
import { openConfiguredStorage } from './storage/open-storage.ts';
import { startEnrollmentChannel } from './storage/postgres-enrollment-channel.ts';
import { isPostgresStorage } from './storage/postgres-storage.ts';
import type { IssuerStorage } from './storage/issuer-storage.ts';
import { loadOrCreateLoopbackTls, loadTlsFromFiles } from './tls.ts';
import type { TlsIdentity } from './tls.ts';

export interface StartIssuerOptions {
  /** Raw configuration (validated here; defaults applied). Ignored when configFile is given. */
  config?: unknown;
  configFile?: string;
  /** Where the SQLite database, server secret, CA and TLS identity of the embedded default live. */
  dataDir: string;
  /** Overrides config.listen.port (0 = any free port). */
  port?: number;
  /** Extra PIV trust anchors / intermediates (the embedded default passes the demo PKI's root here). */
  trustAnchorsDer?: Uint8Array[];
  intermediatesDer?: Uint8Array[];
  /** Clock for tests (OTP and code expiry, certificate validity). */
  now?: () => Date;
  /** PKI-AUTH verifier; defaults to issuer/pki-auth's verifyCardAuthentication. */
  verifyCard?: CardVerifier;
  /** Re-check of a signed-in card at approve and redeem; defaults to issuer/pki-auth's verifyCardCertificate. */
  checkCardStatus?: CardStatusChecker;
  /** Enrollment wake-ups; the cluster's workers pass one relayed to the other workers (issuer/cluster/). */
  events?: EnrollmentEvents;
  /**
   * Debug only (tests of `dck issuer --workers`): every answer names the serving process in `x-dck-debug-worker`,
   * so a test can put the kiosk and the phone on different workers. Never set in production.
   */
  debugWorkerHeader?: boolean;
  /** Where the JSON log lines go (`dck issuer`: stdout); absent → no log (the kiosk's embedded issuer, tests). */
  logStream?: Writable;
  /** What /metrics serves; the cluster's workers pass the sum over all workers. Default: this process's metrics. */
  metricsText?: () => Promise<string>;
  /** Revokes every derived credential of a card (issuer/lifecycle/), for `eligibility.onCardRevoked: revoke-derived`. */
  revokeAllForCard?: RevokeAllForCard;
  /** Replaces the whole policy action for a card the monitor found revoked (tests). */
  onCardRevoked?: OnCardRevoked;
}

export interface RunningIssuer {
  /** https://host:port of the listening service. */
  url: string;
  port: number;
  config: IssuerConfig;
  caCertificatePem: string;
  caCertificateDer: Uint8Array;
  /** The TLS certificate clients must trust (self-signed loopback certificate in the embedded default). */
  tlsCertificatePem: string;
  storage: IssuerStorage;
  /** The background purge and audit retention (runs on its own every maintenance.purgeIntervalSeconds). */
  maintenance: MaintenanceJob;
  /** The card monitor (runs on its own every eligibility.tickSeconds when eligibility.enabled). */
  cardMonitor: CardMonitorJob;
  /** The notification sender and renewal-due scan (runs on its own every notifications.sendIntervalSeconds). */
  notifications: NotificationJob;
  metrics: IssuerMetrics;
  close(): Promise<void>;
}

const SERVER_SECRET_FILE = 'server-secret.bin';
/** Nodes on PostgreSQL: how often a waiting kiosk re-reads its enrollment if a notification was lost. */
const NODE_RECHECK_MS = 2_000;
/** Who registers the CA's issuer generation at start (a new CA configured starts a new generation). */
const ISSUER_START_ACTOR = { kind: 'issuer', id: 'issuer start' } as const;

/** Key of the OTP / user_code HMAC: outside the database, so a stolen database alone cannot brute-force codes. */
function loadOrCreateServerSecret(dataDir: string): Uint8Array {
  const file = join(dataDir, SERVER_SECRET_FILE);
  if (existsSync(file)) return new Uint8Array(readFileSync(file));
  const secret = randomBytes(32);
  writeFileSync(file, secret, { mode: 0o600 });
  return new Uint8Array(secret);
}

/** Certificates from PEM (one or many) or DER files. */
function readCertificates(files: string[]): Uint8Array[] {
  return files.flatMap((file) => {
    const bytes = readFileSync(file);
    const pem = pemToDerList(bytes.toString('latin1'));
    return pem.length > 0 ? pem : [new Uint8Array(bytes)];
  });
}

function defaultBaseUrl(host: string, port: number): string {
  const shown = host.includes(':') ? `[${host}]` : host;
  return `https://${shown}:${port}`;
}

/** The configuration of these options: the file's, or the inline one; defaults applied, ConfigError when bad. */
export function readIssuerConfig(options: Pick<StartIssuerOptions, 'config' | 'configFile'>): IssuerConfig {
  return options.configFile !== undefined
    ? loadIssuerConfigFile(options.configFile)
    : parseIssuerConfig(options.config);
}

interface IssuerMaterial {
  ca: IssuingCa;
  tls: TlsIdentity;
  serverSecret: Uint8Array;
}

/** The data dir, CA, TLS identity and server secret: loaded, or created on first start. */
async function loadOrCreateMaterial(config: IssuerConfig, dataDir: string, now: Date): Promise<IssuerMaterial> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const ca = await loadConfiguredCa(config.ca, dataDir, config.displayName, now);
  const tls =
    config.tls === null
      ? await loadOrCreateLoopbackTls(dataDir, now)
      : loadTlsFromFiles(config.tls.certificateFile, config.tls.keyFile);
  return { ca, tls, serverSecret: loadOrCreateServerSecret(dataDir) };
}

/**
 * Creates everything that must exist once (data dir, server secret, CA, TLS identity, database schema) without
 * serving: the cluster's primary calls it before forking, so workers starting together never race to create them.
 */
export async function prepareIssuerDataDir(config: IssuerConfig, dataDir: string, now = new Date()): Promise<void> {
  // Nothing else runs in the primary yet, and the storage's close() may wait on an unref'd helper thread: hold
  // the event loop open until it is done, or Node would exit with the close still pending.
  const holdOpen = setInterval(() => undefined, 60_000);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const storage = await openConfiguredStorage(config.storage, dataDir);
    try {
      if (config.ca === null) await recoverIssuerReplacement(dataDir, storage, now);
      const { ca } = await loadOrCreateMaterial(config, dataDir, now);
      // Workers connect to a token CA themselves: the primary's check connection is not kept.
      await ca.signer.close();
      await enterIssuerGeneration(
        storage,
        ca.certificateDer,
        now,
        ISSUER_START_ACTOR,
        'cessationOfOperation',
        (await readTenantSettings(storage, config)).notificationTypes,
      );
    } finally {
      await storage.close();
    }
  } finally {
    clearInterval(holdOpen);
  }
}

/** `onCardRevoked: revoke-derived` through the lifecycle: audited, actor `monitor`, CRL regenerated at once. */
function lifecycleRevokeAllForCard(
  storage: IssuerStorage,
  crl: CrlPublisher,
  now: () => Date,
  config: IssuerConfig,
): RevokeAllForCard {
  const deps = {
    storage,
    now,
    // Read fresh at each revocation (not through the 5 s cache): monitor runs are minutes apart.
    notificationTypes: async () => (await readTenantSettings(storage, config)).notificationTypes,
    afterRevocationChange: () => {
      crl.refresh().catch((error: unknown) => {
        process.emitWarning(`derived CRL not regenerated: ${String(error)}`);
      });
    },
  };
  return (cardId, reason, actor) => revokeAllForCard(deps, cardId, reason, { kind: 'monitor', id: actor });
}

export async function startIssuer(options: StartIssuerOptions): Promise<RunningIssuer> {
  const config = readIssuerConfig(options);
  const now = options.now ?? (() => new Date());
  const metrics = new IssuerMetrics();
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const storage = await openConfiguredStorage(config.storage, options.dataDir, {
    onBusyRetry: () => metrics.storageBusyRetries.inc(),
  });
  // What is started is stopped again, newest first, by close() or by a start that fails half-way (an unreadable
  // file, a port in use): a failed start leaves no database handle, timer or signer session behind.
  const started = new StartedParts();
  started.add(() => storage.close());
  try {
    return await startOnStorage(options, config, now, metrics, storage, started);
  } catch (error: unknown) {
    await started.stopAll();
    throw error;
  }
}

/** Stop functions of what a start has made, run newest first, once: a second stopAll waits for the first. */
class StartedParts {
  readonly #stops: (() => Promise<void> | void)[] = [];
  #stopping: Promise<void> | null = null;
  add(stop: () => Promise<void> | void): void {
    this.#stops.push(stop);
  }
  stopAll(): Promise<void> {
    this.#stopping ??= this.#stopEach();
    return this.#stopping;
  }
  async #stopEach(): Promise<void> {
    for (let stop = this.#stops.pop(); stop !== undefined; stop = this.#stops.pop()) await stop();
  }
}

async function startOnStorage(
  options: StartIssuerOptions,
  config: IssuerConfig,
  now: () => Date,
  metrics: IssuerMetrics,
  storage: IssuerStorage,
  started: StartedParts,
): Promise<RunningIssuer> {
  // Before the CA is loaded: an issuer replacement a crash interrupted is finished or undone.
  if (config.ca === null) await recoverIssuerReplacement(options.dataDir, storage, now());
  const material: IssuerMaterial = await loadOrCreateMaterial(config, options.dataDir, now());
  started.add(() => material.ca.signer.close());
  const { tls, serverSecret } = material;
  const ca = { ...material.ca, signer: metrics.measuredSigner(material.ca.signer) };
  const { generation: issuerGeneration } = await enterIssuerGeneration(
    storage,
    ca.certificateDer,
    now(),
    ISSUER_START_ACTOR,
    'cessationOfOperation',
    (await readTenantSettings(storage, config)).notificationTypes,
  );
  const crl = startCrlPublisher({
    storage,
    ca,
    issuerGeneration,
    now,
    validityMs: config.revocation.crlValidityHours * 3_600_000,
    checkIntervalMs: config.revocation.crlCheckSeconds * 1000,
    warn: (message) => {
      process.emitWarning(message);
    },
  });
  started.add(() => crl.stop());
  // Nodes on one PostgreSQL database wake each other's waiters (LISTEN/NOTIFY), and re-read periodically anyway.
  const events =
    options.events ?? new EnrollmentEvents(config.storage.kind === 'postgres' ? { recheckMs: NODE_RECHECK_MS } : {});
  const channel = isPostgresStorage(storage)
    ? startEnrollmentChannel(storage.pool, (enrollmentId) => {
        events.wake(enrollmentId);
      })
    : null;
  if (channel !== null) {
    started.add(() => channel.stop());
    events.relayTo(channel.publish);
  }
  const context: IssuerContext = {
    config,
    storage,
    ca,
    issuerGeneration,
    crl,
    retiredOcspResponders:
      config.ca === null ? await loadRetiredResponders(options.dataDir, storage, issuerGeneration) : [],
    tenant: tenantSettingsReader(storage, config),
    codes: new CodeHasher(serverSecret),
    events,
    trustPolicy: {
      trustAnchorsDer: [...readCertificates(config.pivTrust.trustAnchorFiles), ...(options.trustAnchorsDer ?? [])],
      intermediatesDer: [...readCertificates(config.pivTrust.intermediateFiles), ...(options.intermediatesDer ?? [])],
      requiredPolicyOids: config.pivTrust.requiredPolicyOids,
      crlUrls: config.pivTrust.crlUrls,
      crlFiles: config.pivTrust.crlFiles,
      ocspUrl: config.pivTrust.ocspUrl,
      revocationMaxAgeMs: config.pivTrust.revocationFreshnessSeconds * 1000,
      maxCrlBytes: config.pivTrust.maxCrlBytes,
      now,
    },
    verifyCard: options.verifyCard ?? verifyCardAuthentication,
    checkCardStatus: options.checkCardStatus ?? verifyCardCertificate,
    baseUrl: '',
    now,
    audit: (event, outcome, code, details) =>
      storage.appendAudit({ at: now().getTime(), event, outcome, code, details }),
  };
  const app = await buildIssuerApp(context, tls, {
    metrics,
    logStream: options.logStream ?? null,
    metricsBearerTokenFile: config.operations.metricsBearerTokenFile,
    ...(options.metricsText === undefined ? {} : { metricsText: options.metricsText }),
  });
  if (options.debugWorkerHeader === true) {
    const pid = String(process.pid);
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('x-dck-debug-worker', pid);
      return payload;
    });
  }
  started.add(() => app.close());
  await app.listen({ host: config.listen.host, port: options.port ?? config.listen.port });
  const port = (app.server.address() as AddressInfo).port;
  const url = defaultBaseUrl(config.listen.host, port);
  context.baseUrl = config.publicBaseUrl?.replace(/\/+$/, '') ?? url;
  await context.audit('service-start', 'success', null, { url: context.baseUrl });
  // Publishes what a crash may have left unpublished (a revocation committed, its CRL not yet signed).
  await crl.crlFor(issuerGeneration);
  const maintenance = startMaintenance({
    storage,
    config,
    dataDir: options.dataDir,
    now,
    warn: (message) => {
      process.emitWarning(message);
    },
  });
  const cardMonitor = startCardMonitor({
    storage,
    settings: config.eligibility,
    now,
    // The tenant setting (database, audited) is the one source; eligibility.onCardRevoked only seeds its default.
    // Read fresh at each run (not through the 5 s cache): runs are minutes apart, and `dck admin tenant set` holds.
    policy: async () => (await readTenantSettings(storage, config)).onCardRevoked,
    oracle: createCardRevocationOracle({
      ...context.trustPolicy,
      maxAgeMs: config.pivTrust.revocationFreshnessSeconds * 1000,
      maxCrlBytes: config.pivTrust.maxCrlBytes,
    }),
    onCardRevoked:
      options.onCardRevoked ??
      cardRevokedAction({
        storage,
        now,
        notificationTypes: async () => (await readTenantSettings(storage, config)).notificationTypes,
        revokeAllForCard: options.revokeAllForCard ?? lifecycleRevokeAllForCard(storage, crl, now, config),
      }),
    warn: (message) => {
      process.emitWarning(message);
    },
    observe: (run) => {
      metrics.observeEligibilityRun(run);
    },
  });
  const { smtp, ldap } = config.notifications;
  const notifications = startNotifications({
    storage,
    config,
    now,
    warn: (message) => {
      process.emitWarning(message);
    },
    transport: smtp === undefined ? null : createMailTransport(smtp),
    directory: ldap === undefined ? null : createDirectoryLookup(ldap),
  });
  started.add(() => notifications.stop());
  started.add(() => cardMonitor.stop());
  started.add(() => maintenance.stop());
  return {
    url,
    port,
    config,
    storage,
    maintenance,
    cardMonitor,
    notifications,
    metrics,
    caCertificatePem: derToPem(ca.certificateDer),
    caCertificateDer: ca.certificateDer,
    tlsCertificatePem: tls.certificatePem,
    // Background jobs first, then the HTTP server (in-flight requests finish), the node channel, the CRL
    // publisher, the CA signer and last the database; a second close waits for the first.
    close: () => started.stopAll(),
  };
}

// The issuer's background job: every `maintenance.purgeIntervalSeconds`, the process holding the lease (one at a
// time over every process sharing the database, `--workers` included) deletes expired device codes, challenges,
// sessions and unfinished enrollments, the help-desk agents' ended sessions and decided revocation requests past
// their retention, then applies the audit retention. The lease lasts two intervals and is
// renewed each round, so a holder that dies is replaced within two intervals.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { IssuerConfig } from '../config.ts';
import type { AgentPurgeResult, IssuerStorage, PurgeResult } from '../storage/issuer-storage.ts';
import { applyAuditRetention } from './audit-retention.ts';
import type { RetentionResult } from './audit-retention.ts';

const LEASE_NAME = 'maintenance';
/** Purge rounds per run at most: each deletes a batch per table, so a backlog is worked off over a few runs. */
const MAX_PURGE_ROUNDS = 50;
/** Agent sessions and decided requests deleted per run at most (each kind): a backlog is worked off over runs. */
const AGENT_PURGE_LIMIT = 5000;
const DAY_MS = 86_400_000;

export interface MaintenanceRun {
  leaseHeld: boolean;
  purged: PurgeResult;
  agentPurged: AgentPurgeResult;
  retention: RetentionResult | null;
}

export interface MaintenanceJob {
  /** One run now (tests, and the timer): nothing when another process holds the lease. */
  runOnce(): Promise<MaintenanceRun>;
  stop(): Promise<void>;
}

export interface MaintenanceOptions {
  storage: IssuerStorage;
  config: IssuerConfig;
  dataDir: string;
  now: () => Date;
  /** Where a failed run is reported (it is retried next interval). */
  warn: (message: string) => void;
}

/** The agents' ended sessions and decided revocation requests past their retention: one audit row with the counts. */
function purgeAgentRecords(storage: IssuerStorage, config: IssuerConfig, at: Date): Promise<AgentPurgeResult> {
  const { agentSessionRetentionSeconds, revocationRequestRetentionDays } = config.maintenance;
  const sessionsBefore = at.getTime() - agentSessionRetentionSeconds * 1000;
  const requestsBefore = at.getTime() - revocationRequestRetentionDays * DAY_MS;
  return storage.purgeAgentRecords(sessionsBefore, requestsBefore, AGENT_PURGE_LIMIT, (result) => ({
    at: at.getTime(),
    event: 'purge-agent-records',
    outcome: 'success',
    code: null,
    details: {
      ...result,
      sessionsEndedBefore: new Date(sessionsBefore).toISOString(),
      requestsDecidedBefore: new Date(requestsBefore).toISOString(),
    },
  }));
}

export function startMaintenance(options: MaintenanceOptions): MaintenanceJob {
  const { storage, config, dataDir, now } = options;
  const holder = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  const intervalMs = config.maintenance.purgeIntervalSeconds * 1000;
  let running: Promise<MaintenanceRun> | null = null;

  const run = async (): Promise<MaintenanceRun> => {
    const at = now();
    const purged: PurgeResult = { challenges: 0, deviceAuthorizations: 0, kioskSessions: 0, enrollments: 0 };
    if (!(await storage.takeLease(LEASE_NAME, holder, at.getTime(), 2 * intervalMs)))
      return { leaseHeld: false, purged, agentPurged: { agentSessions: 0, revocationRequests: 0 }, retention: null };
    const cutoff = at.getTime() - config.maintenance.expiredRowGraceSeconds * 1000;
    for (let round = 0; round < MAX_PURGE_ROUNDS; round += 1) {
      const batch = await storage.purgeExpired(cutoff, (result) => ({
        at: at.getTime(),
        event: 'purge',
        outcome: 'success',
        code: null,
        details: { ...result, cutoff: new Date(cutoff).toISOString() },
      }));
      for (const key of Object.keys(purged) as (keyof PurgeResult)[]) purged[key] += batch[key];
      if (batch.challenges + batch.deviceAuthorizations + batch.kioskSessions + batch.enrollments === 0) break;
    }
    const agentPurged = await purgeAgentRecords(storage, config, at);
    const retention = await applyAuditRetention(storage, config, dataDir, at);
    return { leaseHeld: true, purged, agentPurged, retention };
  };

  const runOnce = (): Promise<MaintenanceRun> => {
    // One run at a time in this process: a slow run is not overlapped by the next tick.
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    runOnce().catch((error: unknown) =>
      options.warn(
        `issuer maintenance failed (retried in ${config.maintenance.purgeIntervalSeconds} s): ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }, intervalMs);
  timer.unref();

  return {
    runOnce,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

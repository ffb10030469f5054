// `node --import tsx bench/issuer-flood.ts [--seconds S] [--clients N]`: a sustained flood of the issuer's
// unauthenticated routes (RFC 8628 device authorization + PKI-AUTH challenge), the kind that filled the disk
// (issue 8, item 4), against a real issuer in this process (HTTPS on loopback, a real SQLite file in a temp dir).
// Prints figures only: requests accepted and refused, database size and live rows every few seconds, and the
// bound the defaults put on the database.
//
// All requests come from 127.0.0.1, so the per-address limit is raised to the service-wide one: one address at
// the service's limit is the worst case for the disk. Lifetimes are shortened (codes and challenges 20 s, purge
// every 10 s, no grace) so the purge's plateau shows within the run; the bound for the defaults is computed from
// the row sizes measured here.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ISSUER_API } from '../contracts/issuer-routes.ts';
import { parseIssuerConfig } from '../issuer/config.ts';
import { startIssuer } from '../issuer/start-issuer.ts';
import { IssuerHttpClient } from '../test/integration/issuer/issuer-client.ts';
import { benchArgs } from './bench-args.ts';

const { seconds: SECONDS, clients: CLIENTS } = benchArgs('bench/issuer-flood.ts', {
  seconds: { kind: 'integer', default: 90 },
  clients: { kind: 'integer', default: 16 },
});
const SHORT_LIFETIME_SECONDS = 20;
const PURGE_INTERVAL_SECONDS = 10;
const REPORT_EVERY_MS = 10_000;

const defaults = parseIssuerConfig({});
/**
 * Bytes a row takes with its indexes, measured as (page_count − freelist_count) × page_size over 5,000 rows each:
 * device authorization 330, challenge 140, audit row 160 (rounded up).
 */
const LIVE_ROW_BYTES = (330 + 140) / 2;
const AUDIT_ROW_BYTES = 160;
const SERVICE_LIMIT = defaults.rateLimits.unauthenticatedServicePerMinute;

function databaseFigures(file: string) {
  const bytes = ['', '-wal'].reduce((sum, suffix) => {
    try {
      return sum + statSync(`${file}${suffix}`).size;
    } catch {
      return sum;
    }
  }, 0);
  const db = new Database(file, { readonly: true });
  try {
    const rows = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { bytes, devices: rows('device_authorizations'), challenges: rows('challenges'), audit: rows('audit_log') };
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dck-issuer-flood-'));
  const issuer = await startIssuer({
    dataDir,
    port: 0,
    trustAnchorsDer: [],
    config: {
      deviceFlow: { codeLifetimeSeconds: SHORT_LIFETIME_SECONDS },
      pkiAuth: { challengeLifetimeSeconds: SHORT_LIFETIME_SECONDS },
      maintenance: { purgeIntervalSeconds: PURGE_INTERVAL_SECONDS, expiredRowGraceSeconds: 0 },
      rateLimits: { unauthenticatedPerAddressPerMinute: SERVICE_LIMIT },
    },
  });
  const file = join(dataDir, 'issuer.sqlite');
  const http = new IssuerHttpClient(issuer.url, issuer.tlsCertificatePem, CLIENTS);
  const counts = { accepted: 0, refused: 0, other: 0 };
  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  console.log(
    `issuer flood: ${SECONDS} s, ${CLIENTS} concurrent clients, service limit ${SERVICE_LIMIT}/min (default), ` +
      `codes and challenges live ${SHORT_LIFETIME_SECONDS} s, purge every ${PURGE_INTERVAL_SECONDS} s`,
  );
  const report = setInterval(() => {
    const figures = databaseFigures(file);
    console.log(
      `  t=${Math.round((Date.now() - started) / 1000)} s: accepted ${counts.accepted}, refused (429) ${counts.refused}, ` +
        `database ${(figures.bytes / 1024).toFixed(0)} KiB, live device authorizations ${figures.devices}, challenges ${figures.challenges}, audit rows ${figures.audit}`,
    );
  }, REPORT_EVERY_MS);
  try {
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let i = 0; Date.now() < deadline; i += 1) {
          const answer =
            (client + i) % 2 === 0
              ? await http.send('POST', ISSUER_API.deviceAuthorization.path, { form: { client_id: 'dck-phone' } })
              : await http.send('POST', ISSUER_API.pkiAuthChallenge.path, { json: {} });
          if (answer.status === 200) counts.accepted += 1;
          else if (answer.status === 429) counts.refused += 1;
          else counts.other += 1;
        }
      }),
    );
  } finally {
    clearInterval(report);
  }
  const elapsed = (Date.now() - started) / 1000;
  const end = databaseFigures(file);
  console.log(
    `\nrequests: ${((counts.accepted + counts.refused + counts.other) / elapsed).toFixed(0)}/s, accepted ${counts.accepted} ` +
      `(${((counts.accepted / elapsed) * 60).toFixed(0)}/min), refused ${counts.refused}, other ${counts.other}`,
  );
  console.log(
    `database at the end: ${(end.bytes / 1024).toFixed(0)} KiB (file + WAL), ${end.devices} device authorizations, ${end.challenges} challenges, ${end.audit} audit rows`,
  );

  // The bound with the defaults: live rows ≤ limit × (lifetime + grace + purge interval); the audit grows by one
  // row per accepted device authorization until the retention drops it.
  const d = defaults;
  const liveSeconds =
    Math.max(d.deviceFlow.codeLifetimeSeconds, d.pkiAuth.challengeLifetimeSeconds) +
    d.maintenance.expiredRowGraceSeconds +
    d.maintenance.purgeIntervalSeconds;
  const liveRows = (SERVICE_LIMIT * liveSeconds) / 60;
  const auditRowsPerDay = (SERVICE_LIMIT * 60 * 24) / 2; // half the flood is device authorizations, the audited half
  console.log(
    `\nwith the defaults (service limit ${SERVICE_LIMIT}/min, codes ${d.deviceFlow.codeLifetimeSeconds} s, grace ${d.maintenance.expiredRowGraceSeconds} s, ` +
      `purge every ${d.maintenance.purgeIntervalSeconds} s, audit retention ${d.audit.retentionDays} days):`,
  );
  console.log(
    `  live rows ≤ ${liveRows.toFixed(0)} (≈ ${((liveRows * LIVE_ROW_BYTES) / 1024 / 1024).toFixed(1)} MiB at ${LIVE_ROW_BYTES} B a row)`,
  );
  console.log(
    `  audit: ${auditRowsPerDay.toFixed(0)} rows/day (≈ ${((auditRowsPerDay * AUDIT_ROW_BYTES) / 1024 / 1024).toFixed(0)} MiB/day at ${AUDIT_ROW_BYTES} B a row), ` +
      `≤ ${((auditRowsPerDay * AUDIT_ROW_BYTES * d.audit.retentionDays) / 1024 ** 3).toFixed(1)} GiB at ${d.audit.retentionDays} days' retention; older rows go to export files`,
  );
  http.close();
  await issuer.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(`bench:issuer-flood failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});

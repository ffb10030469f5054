// The kiosks as an administrator (and later the agent console) sees them: name, key fingerprint, last seen, and
// the problems worth acting on: revoked, never heard from, heartbeat stale, reader or card service down, recent
// errors. A plain function over storage and a clock.
import type { KioskHeartbeatReport } from '../../contracts/kiosk-heartbeat.ts';
import type { IssuerStorage, KioskRecord } from '../storage/issuer-storage.ts';

/** A heartbeat older than this is a problem: three missed beats at the kiosk's default 60 s interval. */
export const KIOSK_STALE_AFTER_MS = 180_000;

export interface KioskOverview {
  name: string;
  fingerprint: string;
  registeredAt: string;
  revoked: boolean;
  lastSeenAt: string | null;
  report: KioskHeartbeatReport | null;
  problems: string[];
}

export async function listKiosks(
  storage: Pick<IssuerStorage, 'listKiosks'>,
  now: Date,
  staleAfterMs = KIOSK_STALE_AFTER_MS,
): Promise<KioskOverview[]> {
  return (await storage.listKiosks()).map((kiosk) => overview(kiosk, now.getTime(), staleAfterMs));
}

function overview(kiosk: KioskRecord, now: number, staleAfterMs: number): KioskOverview {
  // Written by this issuer from a body its schema checked: parsed back as the report it was.
  const report = kiosk.lastReportJson === null ? null : (JSON.parse(kiosk.lastReportJson) as KioskHeartbeatReport);
  return {
    name: kiosk.name,
    fingerprint: kiosk.fingerprint,
    registeredAt: new Date(kiosk.registeredAt).toISOString(),
    revoked: kiosk.revokedAt !== null,
    lastSeenAt: kiosk.lastSeenAt === null ? null : new Date(kiosk.lastSeenAt).toISOString(),
    report,
    problems: problemsOf(kiosk, report, now, staleAfterMs),
  };
}

function problemsOf(
  kiosk: KioskRecord,
  report: KioskHeartbeatReport | null,
  now: number,
  staleAfterMs: number,
): string[] {
  if (kiosk.revokedAt !== null) return ['revoked'];
  if (kiosk.lastSeenAt === null || report === null) return ['never-seen'];
  const problems: string[] = [];
  const silentMs = now - kiosk.lastSeenAt;
  if (silentMs > staleAfterMs) problems.push(`heartbeat-stale (${Math.round(silentMs / 1000)} s)`);
  if (report.reader === 'no-reader' || report.reader === 'error') problems.push(`reader-${report.reader}`);
  if (report.cardService !== 'running') problems.push(`card-service-${report.cardService}`);
  for (const error of report.lastErrors) problems.push(`error ${error.code} at ${new Date(error.at).toISOString()}`);
  return problems;
}

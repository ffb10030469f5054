// The kiosks as an administrator (`dck admin kiosks list`) and the agent console (GET /agent/kiosks) see them: name,
// key fingerprint, last seen, and the problems worth acting on: revoked, never heard from, heartbeat stale, reader or
// card service down, recent errors. A plain function over storage and a clock. Problems are data
// (contracts/agent-api.ts KioskProblem): the console says each in the agent's language, the CLI in kioskProblemText.
import type { KioskProblem } from '../../contracts/agent-api.ts';
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
  problems: KioskProblem[];
}

export async function listKiosks(
  storage: Pick<IssuerStorage, 'listKiosks'>,
  now: Date,
  staleAfterMs = KIOSK_STALE_AFTER_MS,
): Promise<KioskOverview[]> {
  return (await storage.listKiosks()).map((kiosk) => overview(kiosk, now.getTime(), staleAfterMs));
}

/** A problem as one line of the administrator's terminal (English, codes kept: `dck admin kiosks list`). */
export function kioskProblemText(problem: KioskProblem): string {
  switch (problem.kind) {
    case 'revoked':
    case 'never-seen':
      return problem.kind;
    case 'heartbeat-stale':
      return `heartbeat-stale (${problem.silentSeconds} s)`;
    case 'reader-down':
      return `reader-${problem.reader}`;
    case 'card-service-down':
      return `card-service-${problem.cardService}`;
    case 'recent-error':
      return `error ${problem.code} at ${problem.at}`;
  }
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
): KioskProblem[] {
  if (kiosk.revokedAt !== null) return [{ kind: 'revoked' }];
  if (kiosk.lastSeenAt === null || report === null) return [{ kind: 'never-seen' }];
  const problems: KioskProblem[] = [];
  const silentMs = now - kiosk.lastSeenAt;
  if (silentMs > staleAfterMs) problems.push({ kind: 'heartbeat-stale', silentSeconds: Math.round(silentMs / 1000) });
  if (report.reader === 'no-reader' || report.reader === 'error')
    problems.push({ kind: 'reader-down', reader: report.reader });
  if (report.cardService !== 'running') problems.push({ kind: 'card-service-down', cardService: report.cardService });
  for (const error of report.lastErrors)
    problems.push({ kind: 'recent-error', code: error.code, at: new Date(error.at).toISOString() });
  return problems;
}

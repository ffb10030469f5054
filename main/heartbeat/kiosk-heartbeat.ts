// The kiosk's heartbeat: every `intervalMs` it tells the issuer the state of its reader and card service and its
// most recent error codes, signed with its key (contracts/kiosk-heartbeat.ts), so the help desk sees a kiosk that
// went quiet or broke. Nothing in it names a person or carries a secret: states and codes only, bounded in number.
// A failed send is only logged (the next beat tries again); the timer never keeps the process alive.
import { randomBytes } from 'node:crypto';
import type { KioskHeartbeat } from '../../contracts/issuer-api.ts';
import { KIOSK_HEARTBEAT_MAX_ERRORS, kioskHeartbeatMessage } from '../../contracts/kiosk-heartbeat.ts';
import type { KioskHeartbeatReport } from '../../contracts/kiosk-heartbeat.ts';
import type { KioskIdentity } from '../identity/kiosk-identity.ts';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 60_000;

/** The signed body of one heartbeat. */
export function signedHeartbeat(identity: KioskIdentity, report: KioskHeartbeatReport, now: Date): KioskHeartbeat {
  const fields = {
    kiosk: identity.name,
    sentAt: now.getTime(),
    nonce: randomBytes(16).toString('base64url'),
    report: { ...report, lastErrors: report.lastErrors.slice(0, KIOSK_HEARTBEAT_MAX_ERRORS) },
  };
  const signature = Buffer.from(identity.sign(kioskHeartbeatMessage(fields))).toString('base64url');
  return { ...fields, signature };
}

export interface HeartbeatOptions {
  readonly identity: KioskIdentity;
  readonly intervalMs?: number;
  readonly report: () => KioskHeartbeatReport;
  /** Sends one heartbeat; resolves to an error code, or null when the issuer took it. */
  readonly send: (heartbeat: KioskHeartbeat) => Promise<string | null>;
  readonly log?: (event: string, details: Record<string, string | number>) => void;
  readonly now?: () => Date;
}

/** Beats at once, then every interval, until the returned stop function is called. */
export function startHeartbeat(options: HeartbeatOptions): () => void {
  const now = options.now ?? (() => new Date());
  let running: Promise<void> | null = null;
  const beat = () => {
    if (running !== null) return; // a slow issuer: never two beats in flight
    running = options
      .send(signedHeartbeat(options.identity, options.report(), now()))
      .then((error) => {
        if (error !== null) options.log?.('kiosk-heartbeat-failed', { code: error });
      })
      .finally(() => {
        running = null;
      });
  };
  beat();
  const timer = setInterval(beat, options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}

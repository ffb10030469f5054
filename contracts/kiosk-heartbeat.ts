// What a kiosk signs to prove who it is when it reports its heartbeat, defined once for the kiosk
// (main/heartbeat/) and the issuer (issuer/kiosks/). Pure: no I/O, no crypto, no imports.
//
//   message = UTF-8 of the JSON array ["DCK kiosk heartbeat v1", kiosk, sentAt, nonce, report fields in a fixed order]
//
// The kiosk signs it with its Ed25519 key (main/identity/kiosk-identity.ts), whose public half an administrator
// registered (`dck admin kiosks add`). `sentAt` (ms since 1970) must be within the issuer's window (the one of every
// signed kiosk call, kiosk-signature.ts) and later than the kiosk's last accepted heartbeat, so a captured heartbeat
// can be played back neither later nor twice; the nonce makes two heartbeats of one millisecond differ. The report
// carries states and error codes only: no free text, so no secret and no person's name can ride in it; every field
// is bounded by the schema (issuer-api.ts).

export const KIOSK_HEARTBEAT_CONTEXT = 'DCK kiosk heartbeat v1';
/** At most this many recent errors in one report. */
export const KIOSK_HEARTBEAT_MAX_ERRORS = 5;

export type KioskReaderState = 'card-present' | 'no-card' | 'no-reader' | 'error' | 'unknown';
export type KioskCardServiceState = 'running' | 'unavailable' | 'unknown';

export interface KioskHeartbeatReport {
  readonly reader: KioskReaderState;
  readonly cardService: KioskCardServiceState;
  /** Most recent first; codes only (e.g. 'issuer-unreachable', 'pcsc-unavailable'). */
  readonly lastErrors: readonly { readonly at: number; readonly code: string }[];
  readonly appVersion: string;
}

export interface KioskHeartbeatFields {
  readonly kiosk: string;
  readonly sentAt: number;
  readonly nonce: string;
  readonly report: KioskHeartbeatReport;
}

/** The bytes the kiosk signs: every field in a fixed order, whatever order the JSON body had them in. */
export function kioskHeartbeatMessage(fields: KioskHeartbeatFields): Uint8Array {
  const { report } = fields;
  return new TextEncoder().encode(
    JSON.stringify([
      KIOSK_HEARTBEAT_CONTEXT,
      fields.kiosk,
      fields.sentAt,
      fields.nonce,
      report.reader,
      report.cardService,
      report.lastErrors.map((error) => [error.at, error.code]),
      report.appVersion,
    ]),
  );
}

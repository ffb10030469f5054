// How an administrator sees a derived credential (`dck admin credentials`, later the admin API): one plain JSON
// shape with its state as a user would name it (expired read from the date), and the same as text lines.
import type { DerivedCredentialView, DeviceReportSource } from '../storage/issuer-storage.ts';
import { credentialState } from '../lifecycle/credential-state.ts';
import type { CredentialState } from '../lifecycle/credential-state.ts';

export interface CredentialReport {
  serialNumberHex: string;
  state: CredentialState;
  revocationReason: string | null;
  stateChangedAt: string | null;
  issuedAt: string;
  notBefore: string;
  notAfter: string;
  issuerGeneration: number;
  tenant: string;
  enrollmentId: string;
  /** source: whether the person confirmed platform and model at the kiosk (`unconfirmed`: they are not evidence). */
  device: { id: string | null; platform: string | null; model: string | null; source: DeviceReportSource };
  person: { name: string; uuid: string | null; fascnHex: string | null };
  card: { issuerDn: string; serialNumberHex: string; notAfter: string; crlUrls: string[]; ocspUrl: string | null };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function credentialReport(view: DerivedCredentialView, at: Date): CredentialReport {
  return {
    serialNumberHex: view.serialNumberHex,
    state: credentialState(view, at),
    revocationReason: view.revocationReason,
    stateChangedAt: view.statusChangedAt === null ? null : iso(view.statusChangedAt),
    issuedAt: iso(view.issuedAt),
    notBefore: iso(view.notBefore),
    notAfter: iso(view.notAfter),
    issuerGeneration: view.issuerGeneration,
    tenant: view.tenant,
    enrollmentId: view.enrollmentId,
    device: view.device,
    person: { name: view.card.commonName, uuid: view.card.uuid, fascnHex: view.card.fascnHex },
    card: {
      issuerDn: view.card.issuerDn,
      serialNumberHex: view.card.serialNumberHex,
      notAfter: iso(view.card.notAfter),
      crlUrls: view.card.crlUrls,
      ocspUrl: view.card.ocspUrl,
    },
  };
}

/** One line per credential, for `list`. */
export function credentialLine(report: CredentialReport): string {
  const state = report.revocationReason === null ? report.state : `${report.state} (${report.revocationReason})`;
  return `${report.serialNumberHex}  ${state.padEnd(22)}  ${report.person.name}  device ${report.device.id ?? '-'}  until ${report.notAfter}`;
}

/** `pixel-7  Android 15  Pixel 9  (confirmed-at-kiosk)`; the parts not known left out. */
function deviceText(device: CredentialReport['device']): string {
  const parts = [device.id ?? '-', device.platform, device.model, `(${device.source})`];
  return parts.filter((part) => part !== null).join('  ');
}

/** Every field, for `show`. */
export function credentialDetails(report: CredentialReport): string[] {
  return [
    `serial            ${report.serialNumberHex}`,
    `state             ${report.state}${report.revocationReason === null ? '' : ` (${report.revocationReason}, ${report.stateChangedAt ?? ''})`}`,
    `valid             ${report.notBefore} – ${report.notAfter} (issued ${report.issuedAt})`,
    `person            ${report.person.name}  uuid ${report.person.uuid ?? '-'}  FASC-N ${report.person.fascnHex ?? '-'}`,
    `device            ${deviceText(report.device)}`,
    `card certificate  ${report.card.issuerDn}  serial ${report.card.serialNumberHex}  until ${report.card.notAfter}`,
    `card revocation   CRL ${report.card.crlUrls.join(' ') || '-'}  OCSP ${report.card.ocspUrl ?? '-'}`,
    `tenant            ${report.tenant}  issuer generation ${report.issuerGeneration}  enrollment ${report.enrollmentId}`,
  ];
}

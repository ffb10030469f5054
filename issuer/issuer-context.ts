// Everything a route handler needs, built once by startIssuer: config, storage, CA, clock, hashing, audit.
import type { IssuerConfig } from './config.ts';
import type { IssuingCa } from './ca/issuing-ca.ts';
import type { EnrollmentEvents } from './enrollment-events.ts';
import type { CrlPublisher } from './lifecycle/crl-publisher.ts';
import type { OcspIssuer } from './lifecycle/ocsp-responder.ts';
import type { TenantSettings } from './lifecycle/tenant-settings.ts';
import type { CodeHasher } from './secrets.ts';
import type { AuditEntryInput, IssuerStorage } from './storage/issuer-storage.ts';
import type {
  CardAuthenticationInput,
  CardAuthenticationResult,
  PivTrustPolicy,
} from './pki-auth/verify-card-authentication.ts';

export type CardVerifier = (
  input: CardAuthenticationInput,
  policy: PivTrustPolicy,
) => Promise<CardAuthenticationResult>;

/** The card's status now, from its stored certificate (no signature): `verifyCardCertificate` by default. */
export type CardStatusChecker = (
  certificateDer: Uint8Array,
  policy: PivTrustPolicy,
) => Promise<CardAuthenticationResult>;

export interface IssuerContext {
  config: IssuerConfig;
  storage: IssuerStorage;
  ca: IssuingCa;
  codes: CodeHasher;
  events: EnrollmentEvents;
  trustPolicy: PivTrustPolicy;
  verifyCard: CardVerifier;
  checkCardStatus: CardStatusChecker;
  /** The live issuer generation (lifecycle/issuer-generation.ts): the one `ca` signs for. */
  issuerGeneration: number;
  crl: CrlPublisher;
  /** Retired generations the OCSP responder answers for (lifecycle/retired-ocsp-responder.ts), loaded at start. */
  retiredOcspResponders: readonly OcspIssuer[];
  /** The tenant's settings now (lifecycle/tenant-settings.ts; `dck admin tenant set` changes them). */
  tenant: () => Promise<TenantSettings>;
  /** Base URL clients use (QR payload, verification_uri). */
  baseUrl: string;
  now: () => Date;
  /** Writes an audit row on its own: for refusals that change nothing (state changes pass `auditEntry` to storage). */
  audit(
    event: string,
    outcome: AuditEntryInput['outcome'],
    code: string | null,
    details: AuditEntryInput['details'],
  ): Promise<void>;
}

/** The audit row of a state change, handed to the storage call that makes the change (same transaction). */
export function auditEntry(
  ctx: Pick<IssuerContext, 'now'>,
  event: string,
  outcome: AuditEntryInput['outcome'],
  code: string | null,
  details: AuditEntryInput['details'],
): AuditEntryInput {
  return { at: ctx.now().getTime(), event, outcome, code, details };
}

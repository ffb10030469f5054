// Everything a route handler needs, built once by startIssuer: config, storage, CA, clock, hashing, audit.
import type { IssuerConfig } from './config.ts';
import type { IssuingCa } from './ca/issuing-ca.ts';
import type { EnrollmentEvents } from './enrollment-events.ts';
import type { CodeHasher } from './secrets.ts';
import type { AuditEntryInput, IssuerStorage } from './storage/issuer-storage.ts';
import type {
  CardAuthenticationResult, PivTrustPolicy,
} from './pki-auth/verify-card-authentication.ts';

export type CardVerifier = (
  input: { challenge: Uint8Array; signature: Uint8Array; certificateDer: Uint8Array },
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
  /** Base URL clients use (QR payload, verification_uri). */
  baseUrl: string;
  now: () => Date;
  audit(event: string, outcome: AuditEntryInput['outcome'], code: string | null, details: AuditEntryInput['details']): Promise<void>;
}

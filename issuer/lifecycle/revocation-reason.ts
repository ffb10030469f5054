// RFC 5280 §5.3.1 CRLReason: the one home of the reason names and their codes (the CRL entry's reasonCode, the
// OCSP answer's revocationReason, the audit rows and the admin commands all use these names).
export const REVOCATION_REASON_CODES = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASON_CODES;

/** Reasons a revocation (final) may give: certificateHold is a suspension, never a revocation. */
export const FINAL_REVOCATION_REASONS = (Object.keys(REVOCATION_REASON_CODES) as RevocationReason[]).filter(
  (reason) => reason !== 'certificateHold',
);

export function isRevocationReason(text: string): text is RevocationReason {
  return Object.hasOwn(REVOCATION_REASON_CODES, text);
}

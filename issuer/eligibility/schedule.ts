// When a linked card is checked (SP 800-157 §2.4; MyID re-checks 7 days after issuance): first at its earliest live
// derived certificate's issuance + `firstCheckAfterSeconds`, then every `intervalSeconds`; a card left without an
// answer (unknown) again after `unknownRetrySeconds`. A revoked card is not checked again: revocation is final
// (a certificateHold that is lifted needs a new sign-in, which writes a new card check at PKI-AUTH).
import type { IssuerConfig } from '../config.ts';
import type { EligibilityVerdict, LinkedCard } from '../storage/issuer-storage.ts';

export type EligibilitySettings = IssuerConfig['eligibility'];

export function isDue(linked: LinkedCard, at: number, settings: EligibilitySettings): boolean {
  const { eligibility } = linked;
  if (eligibility === null) return linked.firstIssuedAt <= firstCheckIssuedBy(at, settings);
  return eligibility.nextCheckAt !== null && nextCheckDueBy(at) >= eligibility.nextCheckAt;
}

/** A card never checked is due at `at` when its first derived credential was issued at this time or before. */
export function firstCheckIssuedBy(at: number, settings: EligibilitySettings): number {
  return at - settings.firstCheckAfterSeconds * 1000;
}

/** A card checked before is due at `at` when its stored next check time is this or before. */
export function nextCheckDueBy(at: number): number {
  return at;
}

export function nextCheckAt(verdict: EligibilityVerdict, at: number, settings: EligibilitySettings): number | null {
  switch (verdict) {
    case 'good':
      return at + settings.intervalSeconds * 1000;
    case 'unknown':
      return at + settings.unknownRetrySeconds * 1000;
    case 'revoked':
      return null;
  }
}

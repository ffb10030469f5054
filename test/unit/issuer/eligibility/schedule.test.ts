// When the card monitor checks a linked card (issuer/eligibility/schedule.ts): a week after the first derived
// credential, then on the interval; unknown sooner; revoked never again.
import { describe, expect, it } from 'vitest';
import { parseIssuerConfig } from '../../../../issuer/config.ts';
import { isDue, nextCheckAt } from '../../../../issuer/eligibility/schedule.ts';
import type { CardEligibilityRecord, LinkedCard } from '../../../../issuer/storage/issuer-storage.ts';

const settings = parseIssuerConfig({}).eligibility;
const DAY = 86_400_000;
const ISSUED = Date.UTC(2026, 0, 1);

function linked(eligibility: Partial<CardEligibilityRecord> | null): LinkedCard {
  return {
    card: {
      id: 'c',
      issuerDn: 'CN=CA',
      serialNumberHex: '01',
      uuid: null,
      fascnHex: null,
      commonName: 'A',
      notAfter: ISSUED + 400 * DAY,
      certificateDer: new Uint8Array(),
    },
    firstIssuedAt: ISSUED,
    eligibility:
      eligibility === null
        ? null
        : {
            cardId: 'c',
            checkedAt: ISSUED,
            verdict: 'good',
            detail: '',
            nextCheckAt: null,
            unknownSince: null,
            actionDoneAt: null,
            ...eligibility,
          },
  };
}

describe('eligibility schedule', () => {
  it('defaults: first check 7 days after issuance, then daily, unknown again after an hour', () => {
    expect(settings).toMatchObject({
      firstCheckAfterSeconds: 7 * 86400,
      intervalSeconds: 86400,
      unknownRetrySeconds: 3600,
      onCardRevoked: 'revoke-derived',
    });
  });

  it('a card never checked is due from issuance + 7 days, not before', () => {
    expect(isDue(linked(null), ISSUED + 7 * DAY - 1, settings)).toBe(false);
    expect(isDue(linked(null), ISSUED + 7 * DAY, settings)).toBe(true);
  });

  it('a checked card is due at its next check; a revoked one never', () => {
    const at = ISSUED + 10 * DAY;
    expect(isDue(linked({ nextCheckAt: at + 1 }), at, settings)).toBe(false);
    expect(isDue(linked({ nextCheckAt: at }), at, settings)).toBe(true);
    expect(isDue(linked({ verdict: 'revoked', nextCheckAt: null }), at, settings)).toBe(false);
  });

  it('next check: good after the interval, unknown after the retry, revoked none', () => {
    expect(nextCheckAt('good', ISSUED, settings)).toBe(ISSUED + DAY);
    expect(nextCheckAt('unknown', ISSUED, settings)).toBe(ISSUED + 3_600_000);
    expect(nextCheckAt('revoked', ISSUED, settings)).toBeNull();
  });

  it('a bad setting names its field', () => {
    expect(() => parseIssuerConfig({ eligibility: { onCardRevoked: 'ignore' } })).toThrow(/eligibility\.onCardRevoked/);
    expect(() => parseIssuerConfig({ eligibility: { intervalSeconds: 0 } })).toThrow(
      /eligibility\.intervalSeconds: must be >= 1/,
    );
    expect(() => parseIssuerConfig({ pivTrust: { maxCrlBytes: 10 } })).toThrow(/pivTrust\.maxCrlBytes/);
  });
});

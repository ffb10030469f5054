// What the "Set up this PC" controller tests share: an installed credential as the screens show it, and a FAKE issuer
// that answers the card sign-in (PKI-AUTH challenge and answer) at once.
import { ok } from '../../../../contracts/kiosk-api.ts';
import type { KioskIssuerPort } from '../../../../main/issuer-client/issuer-port.ts';

export const INSTALLED = {
  serialNumberHex: '0a1b',
  protection: 'software',
  notAfter: '2031-01-01T00:00:00.000Z',
  renewalDueAt: '2030-12-01T00:00:00.000Z',
  inStore: true,
} as const;

export const signInIssuer: Pick<KioskIssuerPort, 'challenge' | 'answerChallenge'> = {
  challenge: () => Promise.resolve(ok({ challengeId: 'c'.repeat(22), challenge: new Uint8Array(32) })),
  answerChallenge: () => Promise.resolve(ok({ sessionToken: 's'.repeat(22), commonName: 'Hal Helpdesk' })),
};

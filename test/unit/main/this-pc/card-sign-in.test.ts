// Signing in with the card for "this PC", with scripted doubles of the kiosk's card port and issuer (the real card
// and issuer are in test/integration/cli/pc.test.ts): a card pulled at any step, a wrong or blocked PIN, an issuer
// that does not answer, each end in the person's words before the issuer sees a signature it could use.
import { describe, expect, it } from 'vitest';
import { err, ok } from '../../../../contracts/kiosk-api.ts';
import type { KioskCardSession } from '../../../../main/card/card-port.ts';
import type { KioskIssuerPort } from '../../../../main/issuer-client/issuer-port.ts';
import { signInWithCard } from '../../../../main/this-pc/card-sign-in.ts';

const CERTIFICATE = Uint8Array.of(0x30, 0x00);

function card(overrides: Partial<KioskCardSession> = {}): KioskCardSession {
  return {
    readIdentity: () => Promise.resolve({ kind: 'ok', holderName: 'Pat', triesLeft: 3, certificateDer: CERTIFICATE }),
    verifyPin: () => Promise.resolve({ kind: 'ok' }),
    signChallenge: () => Promise.resolve({ kind: 'ok', signature: Uint8Array.of(1), kioskNonce: new Uint8Array(32) }),
    close: () => Promise.resolve(),
    ...overrides,
  };
}

function issuer(answers: string[] = []): Pick<KioskIssuerPort, 'challenge' | 'answerChallenge'> {
  return {
    challenge: () => {
      answers.push('challenge');
      return Promise.resolve(ok({ challengeId: 'c1', challenge: new Uint8Array(32) }));
    },
    answerChallenge: () => {
      answers.push('answer');
      return Promise.resolve(ok({ sessionToken: 'session', commonName: 'Pat' }));
    },
  };
}

const PIN = Uint8Array.from('123456', (c) => c.charCodeAt(0));
const removed = () => Promise.resolve({ kind: 'card-removed' } as const);

describe('signInWithCard', () => {
  it('identity, PIN, challenge, signature → the issuer session', async () => {
    const calls: string[] = [];
    expect(await signInWithCard(card(), issuer(calls), PIN)).toEqual(
      ok({ sessionToken: 'session', commonName: 'Pat' }),
    );
    expect(calls).toEqual(['challenge', 'answer']);
  });

  it.each([
    ['reading it', { readIdentity: removed }],
    ['checking the PIN', { verifyPin: removed }],
    ['signing', { signChallenge: removed }],
  ])('a card pulled while %s: "taken out", and no signature reaches the issuer', async (_step, overrides) => {
    const calls: string[] = [];
    expect(await signInWithCard(card(overrides), issuer(calls), PIN)).toMatchObject({
      ok: false,
      error: { code: 'card-removed' },
    });
    expect(calls).not.toContain('answer');
  });

  it('a wrong PIN says the tries left; a blocked card says so; neither asks the issuer anything', async () => {
    const calls: string[] = [];
    const wrong = card({ verifyPin: () => Promise.resolve({ kind: 'wrong', triesLeft: 2 }) });
    expect(await signInWithCard(wrong, issuer(calls), PIN)).toMatchObject({
      ok: false,
      error: { code: 'pin-wrong', message: 'Wrong PIN (2 tries left before the card locks).' },
    });
    const blocked = card({ verifyPin: () => Promise.resolve({ kind: 'blocked' }) });
    expect(await signInWithCard(blocked, issuer(calls), PIN)).toMatchObject({
      ok: false,
      error: { code: 'pin-blocked' },
    });
    expect(calls).toEqual([]);
  });

  it("an issuer that does not answer, and one that refuses the card (in the error table's words)", async () => {
    const down = {
      ...issuer(),
      challenge: () => Promise.resolve(err({ code: 'unreachable' as const, detail: 'timeout' })),
    };
    expect(await signInWithCard(card(), down, PIN)).toMatchObject({ ok: false, error: { code: 'issuer-unreachable' } });
    const refusing = {
      ...issuer(),
      answerChallenge: () => Promise.resolve(err({ code: 'revoked' as const, detail: 'HTTP 401 revoked' })),
    };
    expect(await signInWithCard(card(), refusing, PIN)).toMatchObject({
      ok: false,
      error: {
        code: 'issuer-refused',
        issuerCode: 'revoked',
        message: "The card's certificate has been revoked. [revoked]",
      },
    });
  });
});

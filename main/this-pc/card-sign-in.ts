// "This PC" signs in with the card exactly as the kiosk does: the card's identity, its PIN (the kiosk's card port:
// primary PIN, last-try rule), then PKI-AUTH against the issuer (its challenge, the card's signature, the issuer's
// own checks) → a session that authorizes this one PC. Outcomes are data: a pulled card, a wrong PIN, an issuer that
// does not answer each end here with nothing made on the PC yet.
import type { KioskCardSession } from '../card/card-port.ts';
import type { IssuerCallError, KioskIssuerPort } from '../issuer-client/issuer-port.ts';
import { issuerDown } from '../issuer-client/issuer-port.ts';
import { ISSUER_ERRORS } from '../../contracts/issuer-errors.ts';
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { Result } from '../../contracts/kiosk-api.ts';
import { pcError } from './pc-errors.ts';
import type { PcError } from './pc-errors.ts';

export interface CardSignIn {
  readonly sessionToken: string;
  readonly commonName: string;
}

const REMOVED = pcError('card-removed', 'The card was taken out: nothing was set up. Insert it and start again.');

/** `pin` is the caller's: it zero-fills it once this settles. */
export async function signInWithCard(
  card: KioskCardSession,
  issuer: Pick<KioskIssuerPort, 'challenge' | 'answerChallenge'>,
  pin: Uint8Array,
): Promise<Result<CardSignIn, PcError>> {
  const identity = await card.readIdentity();
  if (identity.kind === 'card-removed') return err(REMOVED);
  if (identity.kind === 'refused')
    return err(pcError('card-refused', `This card cannot be used (${identity.reason}).`));
  const verified = await card.verifyPin(pin);
  switch (verified.kind) {
    case 'card-removed':
      return err(REMOVED);
    case 'wrong':
      return err(
        pcError(
          'pin-wrong',
          `Wrong PIN${verified.triesLeft === null ? '' : ` (${verified.triesLeft} tries left before the card locks)`}.`,
        ),
      );
    case 'blocked':
      return err(pcError('pin-blocked', 'The card is locked (too many wrong PINs): ask the help desk.'));
    case 'card-error':
      return err(pcError('card-error', 'The card did not answer the PIN check: take it out and try again.'));
    case 'ok':
      break;
  }
  return signInWithVerifiedCard(card, issuer, identity.certificateDer);
}

/**
 * PKI-AUTH with a card whose PIN was verified already (the app's PIN screen verifies it on its own, so it can ask
 * again after a wrong one): the issuer's challenge, the card's signature, the issuer's session.
 */
export async function signInWithVerifiedCard(
  card: KioskCardSession,
  issuer: Pick<KioskIssuerPort, 'challenge' | 'answerChallenge'>,
  certificateDer: Uint8Array,
): Promise<Result<CardSignIn, PcError>> {
  const challenge = await issuer.challenge();
  if (!challenge.ok) return err(issuerFailure(challenge.error));
  const signed = await card.signChallenge(challenge.value.challenge);
  if (signed.kind === 'card-removed') return err(REMOVED);
  if (signed.kind !== 'ok') return err(pcError('card-error', 'The card did not sign the sign-in challenge.'));
  const session = await issuer.answerChallenge({
    challengeId: challenge.value.challengeId,
    kioskNonce: signed.kioskNonce,
    certificateDer,
    signature: signed.signature,
  });
  if (!session.ok) return err(issuerFailure(session.error));
  return ok(session.value);
}

/** The issuer's own sentence for its code (contracts/issuer-errors.ts), or "unreachable": what the person is told. */
export function issuerFailure(error: IssuerCallError): PcError {
  if (error.code === 'unreachable')
    return pcError('issuer-unreachable', `The enrollment service does not answer (${error.detail}).`);
  if (issuerDown(error)) return pcError('issuer-unreachable', `${ISSUER_ERRORS[error.code].sentence} [${error.code}]`);
  return pcError('issuer-refused', `${ISSUER_ERRORS[error.code].sentence} [${error.code}]`, error.code);
}

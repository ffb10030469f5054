/**
 * The card reports: `readCardInfo` for `dck card info` (everything readable without a PIN) and
 * `readAuthenticationIdentity` for the kiosk greeting (only the 9A certificate and PIN status).
 */
import type {
  AuthenticationIdentity,
  CardInfo,
  CardReadProblem,
  CertificateSlot,
  CertificateSummary,
  PinReferenceName,
  PinStatusInfo,
} from '../contracts/card.ts';
import { supportsExtendedLength } from './atr.ts';
import { summarizeCertificate } from './certificate-summary.ts';
import { isPivError } from './errors.ts';
import { CERTIFICATE_SLOTS, hexOf } from './objects.ts';
import type { PivCard } from './piv-card.ts';
import { choosePinReference } from './pin-policy.ts';

/** Errors after which nothing more can be read: they abort the whole report. */
const FATAL_CODES = new Set(['card-removed', 'transport-failure']);

/**
 * Runs one read; 'not-found' becomes null, other card/parse errors become a recorded problem and
 * null, and a removed card or broken transport rejects the whole report.
 */
async function readOptional<T>(object: string, problems: CardReadProblem[], read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (!isPivError(error) || FATAL_CODES.has(error.code)) throw error;
    if (error.code !== 'not-found') problems.push({ object, code: error.code, message: error.message });
    return null;
  }
}

export async function readCardInfo(card: PivCard, atr: Uint8Array): Promise<CardInfo> {
  const problems: CardReadProblem[] = [];
  const application = await card.select();
  const chuid = await readOptional('chuid', problems, () => card.readChuid());
  const discovery = await readOptional('discovery', problems, () => card.readDiscovery());
  const certificates = {} as Record<CertificateSlot, CertificateSummary | null>;
  for (const slot of CERTIFICATE_SLOTS) {
    certificates[slot] = await readOptional(`certificate-${slot}`, problems, async () =>
      summarizeCertificate((await card.readCertificate(slot)).der),
    );
  }
  const reference: PinReferenceName = discovery?.primaryPin ?? 'application';
  const pin = await readOptional('pin-status', problems, async (): Promise<PinStatusInfo> => ({
    reference,
    triesLeft: await card.pinStatus(reference),
  }));
  return {
    schemaVersion: 1,
    atr: hexOf(atr),
    supportsExtendedLength: supportsExtendedLength(atr),
    application,
    chuid,
    discovery,
    certificates,
    pin,
    problems,
  };
}

/**
 * What the kiosk shows when a card is inserted: the 9A certificate summary (the greeting uses its
 * common name) and the primary PIN's tries left. APDUs: SELECT, GET DATA 9A (+ GET RESPONSE
 * links), GET DATA 7E unless `reference` is given, one empty VERIFY. Rejects with 'not-found'
 * when the card has no PIV Authentication certificate.
 */
export async function readAuthenticationIdentity(
  card: PivCard,
  options: { reference?: PinReferenceName } = {},
): Promise<AuthenticationIdentity> {
  const certificate = summarizeCertificate((await card.readCertificate('9A')).der);
  const reference = options.reference ?? (await choosePinReference(card));
  return { certificate, pin: { reference, triesLeft: await card.pinStatus(reference) } };
}

// Number matching (RFC 8628 §5.4, "remote phishing"): before a kiosk approves a phone's user_code, it shows what
// the phone reported about itself and a two-digit number that the phone shows too; the person approves only if
// this is their phone in their hand and the numbers match, or says "not my phone" (the device authorization is
// denied). A code read out over the telephone by someone posing as the help desk then lands on a screen that
// names the caller's phone and a number the person's own phone does not show.
//
// The number is derived, not stored: HMAC(server secret, device authorization id, kiosk session id) mod 100. The
// phone, the kiosk and anyone who read the code cannot choose or predict it, it differs per sign-in that shows
// the phone, and the token endpoint hands it to the phone once a kiosk has shown it. (The first four bytes mod 100:
// 2^32 is not a multiple of 100, so 96 of the numbers are likelier by 1 in 43 million, which matters to nobody.)
//
// Plain functions over IssuerContext (no Fastify): the handlers in issuer/routes/device-pairing.ts parse, call,
// and send what these return.
import type { ApproveRequest, DEVICE_PAIRING_ERROR_CODES, DevicePairing, IssuerErrorCode } from '../../contracts/issuer-api.ts';
import { MATCH_NUMBER_DIGITS } from '../../contracts/issuer-api.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import type { CodeHasher } from '../secrets.ts';
import type { AuditEntryInput, DeviceAuthorizationRecord, KioskSessionRecord } from '../storage/issuer-storage.ts';
import type { RuleRefusal } from './rule-result.ts';
import { refusal } from './rule-result.ts';
import { findDeviceByUserCode } from './user-code-guess.ts';

type DevicePairingErrorCode = (typeof DEVICE_PAIRING_ERROR_CODES)[number];

/** Status and sentence of each number-matching error (to move into the issuer's one error table). */
export const DEVICE_PAIRING_ERRORS: { readonly [C in DevicePairingErrorCode]: { readonly status: number; readonly message: string } } = {
  'pairing-not-shown': { status: 409, message: 'Show this phone\'s details and number at the kiosk before approving it.' },
  'pairing-number-mismatch': { status: 409, message: 'The number confirmed is not the one this phone shows: nothing was approved.' },
  'pairing-unknown': { status: 404, message: 'No phone with this pairing was shown in this sign-in.' },
};

function pairingRefusal(code: DevicePairingErrorCode): RuleRefusal {
  return refusal(DEVICE_PAIRING_ERRORS[code].status, code, DEVICE_PAIRING_ERRORS[code].message);
}

export function matchNumberFor(codes: CodeHasher, deviceAuthorizationId: string, sessionId: string): string {
  const mac = Buffer.from(codes.hash('match-number', deviceAuthorizationId, sessionId), 'base64url');
  return String(mac.readUInt32BE(0) % 10 ** MATCH_NUMBER_DIGITS).padStart(MATCH_NUMBER_DIGITS, '0');
}

/** The number the phone shows now: only once a kiosk sign-in has shown it (null before). */
export function phoneMatchNumber(codes: CodeHasher, device: DeviceAuthorizationRecord): string | null {
  return device.pairing === null ? null : matchNumberFor(codes, device.id, device.pairing.sessionId);
}

/** What was shown, for the audit row of showing, denying and approving (what the person saw and answered). */
export function shownDetails(device: DeviceAuthorizationRecord, matchNumber: string): AuditEntryInput['details'] {
  return {
    devicePlatform: device.device.platform, deviceModel: device.device.model, appName: device.device.appName,
    appVersion: device.device.appVersion, matchNumber,
  };
}

/** Refusals of a code that exists but cannot be shown or approved now (its guess is given back by the caller). */
function unusable(ctx: IssuerContext, device: DeviceAuthorizationRecord): RuleRefusal | null {
  if (device.status !== 'pending') return refusal(409, 'user-code-already-used', 'That code was already used.');
  if (ctx.now().getTime() >= device.expiresAt) return refusal(410, 'user-code-expired', 'That code has expired: start again on the phone.');
  return null;
}

/** Step 1 at the kiosk: the typed code → what the phone reported and the number, recorded as shown by this sign-in. */
export async function showDevicePairing(
  ctx: IssuerContext, session: KioskSessionRecord, typedUserCode: string,
): Promise<{ readonly ok: true; readonly pairing: DevicePairing } | RuleRefusal> {
  const found = await findDeviceByUserCode(ctx, session, typedUserCode, 'pairing-shown');
  if (!found.ok) return found;
  const { device } = found;
  await found.release();
  const base = { sessionId: session.id, cardId: session.cardId, deviceAuthorizationId: device.id, clientId: device.clientId };
  const refused = unusable(ctx, device);
  const matchNumber = matchNumberFor(ctx.codes, device.id, session.id);
  const shown = refused === null && await ctx.storage.showDevicePairing(device.id, { sessionId: session.id, shownAt: ctx.now().getTime() },
    auditEntry(ctx, 'pairing-shown', 'success', null, { ...base, ...shownDetails(device, matchNumber) }));
  if (!shown) {
    const answer = refused ?? refusal(409, 'user-code-already-used', 'That code was already used.');
    await ctx.audit('pairing-shown', 'failure', answer.code, base);
    return answer;
  }
  return { ok: true, pairing: { pairingId: device.id, device: device.device, matchNumber } };
}

/** "Not my phone": the device authorization this sign-in was shown is denied; the phone's next poll learns it. */
export async function denyDevicePairing(
  ctx: IssuerContext, session: KioskSessionRecord, pairingId: string,
): Promise<{ readonly ok: true } | RuleRefusal> {
  const device = await ctx.storage.findDeviceAuthorization(pairingId);
  const base = { sessionId: session.id, cardId: session.cardId, deviceAuthorizationId: pairingId };
  const fail = async (answer: RuleRefusal): Promise<RuleRefusal> => {
    await ctx.audit('pairing-denied', 'failure', answer.code, base);
    return answer;
  };
  if (device === null || device.pairing?.sessionId !== session.id) return fail(pairingRefusal('pairing-unknown'));
  const matchNumber = matchNumberFor(ctx.codes, device.id, session.id);
  const denied = await ctx.storage.denyDevicePairing(device.id, session.id,
    auditEntry(ctx, 'pairing-denied', 'success', null, { ...base, clientId: device.clientId, ...shownDetails(device, matchNumber) }));
  if (!denied) return fail(unusable(ctx, device) ?? refusal(409, 'user-code-already-used', 'That code was already used.'));
  return { ok: true };
}

/**
 * Step 2, inside approve: this sign-in must be the one that showed the phone last, and the number it confirmed
 * must be the phone's. Null: approve may go on.
 */
export function approvalPairingRefusal(
  ctx: IssuerContext, session: KioskSessionRecord, device: DeviceAuthorizationRecord, request: ApproveRequest,
): { readonly status: number; readonly code: IssuerErrorCode; readonly message: string } | null {
  if (device.pairing?.sessionId !== session.id) return pairingRefusal('pairing-not-shown');
  if (request.matchNumber !== matchNumberFor(ctx.codes, device.id, session.id)) return pairingRefusal('pairing-number-mismatch');
  return null;
}

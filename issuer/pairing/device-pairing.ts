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
// and answer with what these return (statuses and sentences: contracts/issuer-errors.ts).
import { MATCH_NUMBER_DIGITS } from '../../contracts/issuer-api.ts';
import type { ApproveRequest } from '../../contracts/issuer-api.ts';
import { activeKioskSession } from '../bearer-holders.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { Refusal, RouteRuleResult } from '../refusal.ts';
import type { CodeHasher } from '../secrets.ts';
import type { AuditEntryInput, DeviceAuthorizationRecord, KioskSessionRecord } from '../storage/issuer-storage.ts';
import { takeGuess } from '../enrollment/code-guesses.ts';
import type { GuessCounter } from '../enrollment/code-guesses.ts';
import { findDeviceByUserCode } from './user-code-guess.ts';

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
    devicePlatform: device.device.platform,
    deviceModel: device.device.model,
    appName: device.device.appName,
    appVersion: device.device.appVersion,
    matchNumber,
  };
}

/** Why a code that exists cannot be shown or approved now (null: it can). */
function unusable(
  ctx: IssuerContext,
  device: DeviceAuthorizationRecord,
): 'user-code-already-used' | 'user-code-expired' | null {
  if (device.status !== 'pending') return 'user-code-already-used';
  if (ctx.now().getTime() >= device.expiresAt) return 'user-code-expired';
  return null;
}

/** Step 1 at the kiosk: the typed code → what the phone reported and the number, recorded as shown by this sign-in. */
export async function showDevicePairing(
  ctx: IssuerContext,
  guesses: GuessCounter,
  input: { sessionToken: string | null; userCode: string; ip: string },
): Promise<RouteRuleResult<'devicePairings'>> {
  const session = await activeKioskSession(ctx, input.sessionToken);
  // Showing a phone is a user_code guess like approving one: the same per-minute budget per sign-in / address.
  const guess = takeGuess(guesses, session === null ? `ip:${input.ip}` : `session:${session.id}`);
  if (!guess.ok) return guess;
  if (session === null) return refuse('invalid-session');
  const found = await findDeviceByUserCode(ctx, session, input.userCode, 'pairing-shown');
  if (!found.ok) return found;
  const { device } = found.value;
  const base = {
    sessionId: session.id,
    cardId: session.cardId,
    deviceAuthorizationId: device.id,
    clientId: device.clientId,
  };
  // The code exists, so its guess is given back whatever happens next: on its own when the code cannot be shown,
  // in the same step as recording the showing otherwise (storage.showDevicePairing gives it back even when a racing
  // approval or denial leaves nothing to record).
  const refused = unusable(ctx, device);
  if (refused !== null) {
    await found.value.release();
    return auditedRefusal(ctx, 'pairing-shown', refused, base);
  }
  const matchNumber = matchNumberFor(ctx.codes, device.id, session.id);
  const shown = await ctx.storage.showDevicePairing(
    device.id,
    { sessionId: session.id, shownAt: ctx.now().getTime() },
    session.cardId,
    auditEntry(ctx, 'pairing-shown', 'success', null, { ...base, ...shownDetails(device, matchNumber) }),
  );
  if (!shown) return auditedRefusal(ctx, 'pairing-shown', 'user-code-already-used', base);
  return ok({ pairingId: device.id, device: device.device, matchNumber });
}

/** "Not my phone": the device authorization this sign-in was shown is denied; the phone's next poll learns it. */
export async function denyDevicePairing(
  ctx: IssuerContext,
  input: { sessionToken: string | null; pairingId: string },
): Promise<RouteRuleResult<'devicePairingDeny'>> {
  const session = await activeKioskSession(ctx, input.sessionToken);
  if (session === null) return refuse('invalid-session');
  const device = await ctx.storage.findDeviceAuthorization(input.pairingId);
  const base = { sessionId: session.id, cardId: session.cardId, deviceAuthorizationId: input.pairingId };
  if (device === null || device.pairing?.sessionId !== session.id)
    return auditedRefusal(ctx, 'pairing-denied', 'pairing-unknown', base);
  const matchNumber = matchNumberFor(ctx.codes, device.id, session.id);
  const denied = await ctx.storage.denyDevicePairing(
    device.id,
    session.id,
    auditEntry(ctx, 'pairing-denied', 'success', null, {
      ...base,
      clientId: device.clientId,
      ...shownDetails(device, matchNumber),
    }),
  );
  if (!denied) return auditedRefusal(ctx, 'pairing-denied', unusable(ctx, device) ?? 'user-code-already-used', base);
  return ok(null);
}

/**
 * Step 2, inside approve: this sign-in must be the one that showed the phone last, and the number it confirmed
 * must be the phone's. Null: approve may go on.
 */
export function approvalPairingRefusal(
  ctx: IssuerContext,
  session: KioskSessionRecord,
  device: DeviceAuthorizationRecord,
  request: ApproveRequest,
): Refusal<'pairing-not-shown' | 'pairing-number-mismatch'> | null {
  if (device.pairing?.sessionId !== session.id) return { code: 'pairing-not-shown' };
  if (request.matchNumber !== matchNumberFor(ctx.codes, device.id, session.id))
    return { code: 'pairing-number-mismatch' };
  return null;
}

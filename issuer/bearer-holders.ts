// Who a bearer token belongs to: a kiosk session (PKI-AUTH) or a phone's device authorization (RFC 8628 token).
// Tokens are stored only as hashes; an expired holder is no holder.
import { hashToken } from './secrets.ts';
import type { IssuerContext } from './issuer-context.ts';
import type { DeviceAuthorizationRecord, KioskSessionRecord, RedemptionParties } from './storage/issuer-storage.ts';

export async function activeKioskSession(
  ctx: Pick<IssuerContext, 'storage' | 'now'>,
  token: string | null,
): Promise<KioskSessionRecord | null> {
  if (token === null) return null;
  const session = await ctx.storage.findKioskSessionByTokenHash(hashToken(token));
  return session !== null && session.expiresAt > ctx.now().getTime() ? session : null;
}

export async function deviceWithAccessToken(
  ctx: Pick<IssuerContext, 'storage' | 'now'>,
  token: string | null,
): Promise<DeviceAuthorizationRecord | null> {
  if (token === null) return null;
  const device = await ctx.storage.findDeviceAuthorizationByAccessTokenHash(hashToken(token));
  return device !== null && holdsLiveAccessToken(device, ctx.now().getTime()) ? device : null;
}

/**
 * The redeem's look-ups behind a phone's access token, read together (IssuerStorage.findRedemptionParties), under
 * the same rule as deviceWithAccessToken: null when the token has no live holder, whatever the enrollment.
 */
export async function redemptionWithAccessToken(
  ctx: Pick<IssuerContext, 'storage' | 'now'>,
  token: string | null,
  enrollmentId: string,
): Promise<RedemptionParties | null> {
  if (token === null) return null;
  const parties = await ctx.storage.findRedemptionParties(hashToken(token), enrollmentId);
  return parties !== null && holdsLiveAccessToken(parties.device, ctx.now().getTime()) ? parties : null;
}

// A denied device keeps its token so it learns *why* (burned enrollment); it can no longer redeem anything.
function holdsLiveAccessToken(device: DeviceAuthorizationRecord, now: number): boolean {
  return device.accessTokenExpiresAt !== null && device.accessTokenExpiresAt > now;
}

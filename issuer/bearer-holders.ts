// Who a bearer token belongs to: a kiosk session (PKI-AUTH) or a phone's device authorization (RFC 8628 token).
// Tokens are stored only as hashes; an expired holder is no holder.
import { hashToken } from './secrets.ts';
import type { IssuerContext } from './issuer-context.ts';
import type { DeviceAuthorizationRecord, KioskSessionRecord } from './storage/issuer-storage.ts';

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
  // A denied device keeps its token so it learns *why* (burned enrollment); it can no longer redeem anything.
  if (device === null || device.accessTokenExpiresAt === null) return null;
  return device.accessTokenExpiresAt > ctx.now().getTime() ? device : null;
}

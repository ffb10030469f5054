// RFC 8628 §3.1: a registered client asks for a device code; the phone shows the user_code, the kiosk approves it.
import type { DeviceAuthorizationRequest } from '../../contracts/issuer-api.ts';
import { formatUserCode } from '../../contracts/user-code.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { checkDeviceDescription } from '../pairing/device-description.ts';
import { auditedRefusal, ok } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { hashToken, newOpaqueToken, newRecordId, newUserCode } from '../secrets.ts';

/** A clash of two live user_codes is unlikely (20^8 space) but possible: this many fresh codes are tried. */
const USER_CODE_ATTEMPTS = 4;

export async function authorizeDevice(
  ctx: IssuerContext,
  input: { request: DeviceAuthorizationRequest; ip: string },
): Promise<RouteRuleResult<'deviceAuthorization'>> {
  const { request, ip } = input;
  const clientId = request.client_id;
  if (!ctx.config.deviceFlow.clientIds.includes(clientId)) {
    return auditedRefusal(ctx, 'device-authorization', 'invalid_client', { clientId, ip });
  }
  // What the phone reports about itself is shown at the kiosk (number matching): checked before it is stored.
  const described = checkDeviceDescription(request);
  if (!described.ok) {
    return auditedRefusal(
      ctx,
      'device-authorization',
      'invalid_request',
      { clientId, field: described.field, ip },
      { detail: described.message },
    );
  }
  const now = ctx.now().getTime();
  const lifetime = ctx.config.deviceFlow.codeLifetimeSeconds;
  const deviceCode = newOpaqueToken();
  const deviceCodeHash = hashToken(deviceCode);
  const id = newRecordId();
  let userCode = '';
  for (let attempt = 1; ; attempt += 1) {
    userCode = newUserCode();
    try {
      await ctx.storage.insertDeviceAuthorization(
        {
          id,
          deviceCodeHash,
          userCodeHash: ctx.codes.hash('user-code', '', userCode),
          clientId,
          status: 'pending',
          createdAt: now,
          expiresAt: now + lifetime * 1000,
          intervalSeconds: ctx.config.deviceFlow.pollIntervalSeconds,
          lastPollAt: null,
          cardId: null,
          enrollmentId: null,
          accessTokenHash: null,
          accessTokenExpiresAt: null,
          device: described.device,
          pairing: null,
        },
        auditEntry(ctx, 'device-authorization', 'success', null, {
          deviceAuthorizationId: id,
          clientId,
          ip,
          devicePlatform: described.device.platform,
          deviceModel: described.device.model,
          appName: described.device.appName,
          appVersion: described.device.appVersion,
        }),
      );
      break;
    } catch (error: unknown) {
      if (attempt >= USER_CODE_ATTEMPTS) throw error;
    }
  }
  return ok({
    device_code: deviceCode,
    user_code: formatUserCode(userCode),
    verification_uri: `${ctx.baseUrl}/device`,
    expires_in: lifetime,
    interval: ctx.config.deviceFlow.pollIntervalSeconds,
  });
}

// RFC 8628 §3.4–3.5: the phone polls with its device_code until the kiosk approved its user_code, then gets an
// access token bound to the enrollment the kiosk created.
import { DEVICE_CODE_GRANT_TYPE } from '../../contracts/issuer-api.ts';
import type { TokenRequest } from '../../contracts/issuer-api.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { phoneMatchNumber } from '../pairing/device-pairing.ts';
import { auditedRefusal, ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import { hashToken, newOpaqueToken } from '../secrets.ts';

/** RFC 8628 §3.5: on slow_down the interval grows by 5 seconds for all later requests. */
const SLOW_DOWN_STEP_SECONDS = 5;

export async function exchangeDeviceCode(
  ctx: IssuerContext,
  request: TokenRequest & { ip: string },
): Promise<RouteRuleResult<'token'>> {
  const { grant_type: grantType, device_code: deviceCode, client_id: clientId, ip } = request;
  if (grantType !== DEVICE_CODE_GRANT_TYPE) return refuse('unsupported_grant_type');
  if (!ctx.config.deviceFlow.clientIds.includes(clientId)) return refuse('invalid_client');
  const record = await ctx.storage.findDeviceAuthorizationByDeviceCodeHash(hashToken(deviceCode));
  if (record === null || record.clientId !== clientId)
    return auditedRefusal(ctx, 'token', 'invalid_grant', { clientId, ip });
  const details = { deviceAuthorizationId: record.id, clientId };
  const now = ctx.now().getTime();
  if (record.status === 'token-issued') return refuse('invalid_grant');
  if (record.status === 'denied') return auditedRefusal(ctx, 'token', 'access_denied', details);
  if (now >= record.expiresAt) return auditedRefusal(ctx, 'token', 'expired_token', details);
  if (record.lastPollAt !== null && now - record.lastPollAt < record.intervalSeconds * 1000) {
    const interval = record.intervalSeconds + SLOW_DOWN_STEP_SECONDS;
    await ctx.storage.recordTokenPoll(record.id, now, interval);
    return refuse('slow_down', { detail: `wait at least ${interval} seconds between requests.` });
  }
  if (record.status === 'pending' || record.enrollmentId === null) {
    await ctx.storage.recordTokenPoll(record.id, now, record.intervalSeconds);
    // Number matching: once a kiosk shows this phone, the phone shows the same number.
    const matchNumber = phoneMatchNumber(ctx.codes, record);
    return matchNumber === null
      ? refuse('authorization_pending')
      : refuse('authorization_pending', {
          matchNumber,
          detail: 'A kiosk shows this phone: check that it shows the same number, then confirm there.',
        });
  }
  const accessToken = newOpaqueToken();
  const lifetime = ctx.config.deviceFlow.accessTokenLifetimeSeconds;
  const issued = await ctx.storage.issueAccessToken(
    record.id,
    { hash: hashToken(accessToken), expiresAt: now + lifetime * 1000, polledAt: now },
    auditEntry(ctx, 'token', 'success', null, { ...details, enrollmentId: record.enrollmentId }),
  );
  if (!issued) return refuse('invalid_grant');
  return ok({
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: lifetime,
    enrollment_id: record.enrollmentId,
  });
}

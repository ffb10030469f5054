// RFC 8628: device authorization request (§3.1–3.2) and the device access token request (§3.4–3.5).
import type { FastifyInstance } from 'fastify';
import {
  DEVICE_CODE_GRANT_TYPE, DeviceAuthorizationRequest, DeviceAuthorizationResponse, ISSUER_ROUTES, OAuthError,
  TokenRequest, TokenResponse, formatUserCode,
} from '../../contracts/issuer-api.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { sendOAuthError } from '../http-errors.ts';
import { checkDeviceDescription } from '../pairing/device-description.ts';
import { phoneMatchNumber } from '../pairing/device-pairing.ts';
import { hashToken, newOpaqueToken, newRecordId, newUserCode } from '../secrets.ts';

/** RFC 8628 §3.5: on slow_down the interval grows by 5 seconds for all later requests. */
const SLOW_DOWN_STEP_SECONDS = 5;

export function registerDeviceFlowRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  app.post<{ Body: DeviceAuthorizationRequest }>(ISSUER_ROUTES.deviceAuthorization, {
    schema: {
      summary: 'RFC 8628 device authorization request (form-encoded or JSON)',
      body: DeviceAuthorizationRequest,
      response: { 200: DeviceAuthorizationResponse, 400: OAuthError, 401: OAuthError },
    },
  }, async (request, reply) => {
    const { client_id: clientId } = request.body;
    if (!ctx.config.deviceFlow.clientIds.includes(clientId)) {
      await ctx.audit('device-authorization', 'failure', 'invalid_client', { clientId, ip: request.ip });
      return sendOAuthError(reply, 401, 'invalid_client', 'This client_id is not registered with the issuer.');
    }
    const described = checkDeviceDescription(request.body);
    if (!described.ok) {
      await ctx.audit('device-authorization', 'failure', 'invalid_request', { clientId, field: described.field, ip: request.ip });
      return sendOAuthError(reply, 400, 'invalid_request', described.message);
    }
    const now = ctx.now().getTime();
    const lifetime = ctx.config.deviceFlow.codeLifetimeSeconds;
    const deviceCode = newOpaqueToken();
    const deviceCodeHash = hashToken(deviceCode);
    const id = newRecordId();
    let userCode = '';
    // A clash of two live user_codes is unlikely (20^8 space) but possible: retry with a fresh code.
    for (let attempt = 0; ; attempt += 1) {
      userCode = newUserCode();
      try {
        await ctx.storage.insertDeviceAuthorization({
          id, deviceCodeHash, userCodeHash: ctx.codes.hash('user-code', '', userCode),
          clientId, status: 'pending', createdAt: now, expiresAt: now + lifetime * 1000,
          intervalSeconds: ctx.config.deviceFlow.pollIntervalSeconds, lastPollAt: null, cardId: null,
          enrollmentId: null, accessTokenHash: null, accessTokenExpiresAt: null, device: described.device, pairing: null,
        }, auditEntry(ctx, 'device-authorization', 'success', null, {
          deviceAuthorizationId: id, clientId, ip: request.ip, devicePlatform: described.device.platform,
          deviceModel: described.device.model, appName: described.device.appName, appVersion: described.device.appVersion,
        }));
        break;
      } catch (error: unknown) {
        if (attempt >= 3) throw error;
      }
    }
    return reply.header('cache-control', 'no-store').send({
      device_code: deviceCode,
      user_code: formatUserCode(userCode),
      verification_uri: `${ctx.baseUrl}/device`,
      expires_in: lifetime,
      interval: ctx.config.deviceFlow.pollIntervalSeconds,
    });
  });

  app.post<{ Body: TokenRequest }>(ISSUER_ROUTES.token, {
    schema: {
      summary: 'RFC 8628 device access token request (form-encoded or JSON)',
      body: TokenRequest,
      response: { 200: TokenResponse, 400: OAuthError, 401: OAuthError },
    },
  }, async (request, reply) => {
    const { grant_type: grantType, device_code: deviceCode, client_id: clientId } = request.body;
    if (grantType !== DEVICE_CODE_GRANT_TYPE) {
      return sendOAuthError(reply, 400, 'unsupported_grant_type', `grant_type must be ${DEVICE_CODE_GRANT_TYPE}.`);
    }
    if (!ctx.config.deviceFlow.clientIds.includes(clientId)) {
      return sendOAuthError(reply, 401, 'invalid_client', 'This client_id is not registered with the issuer.');
    }
    const record = await ctx.storage.findDeviceAuthorizationByDeviceCodeHash(hashToken(deviceCode));
    if (record === null || record.clientId !== clientId) {
      await ctx.audit('token', 'failure', 'invalid_grant', { clientId, ip: request.ip });
      return sendOAuthError(reply, 400, 'invalid_grant', 'Unknown device_code.');
    }
    const details = { deviceAuthorizationId: record.id, clientId };
    const now = ctx.now().getTime();
    if (record.status === 'token-issued') {
      return sendOAuthError(reply, 400, 'invalid_grant', 'This device_code was already exchanged for a token.');
    }
    if (record.status === 'denied') {
      await ctx.audit('token', 'failure', 'access_denied', details);
      return sendOAuthError(reply, 400, 'access_denied', 'The authorization was denied.');
    }
    if (now >= record.expiresAt) {
      await ctx.audit('token', 'failure', 'expired_token', details);
      return sendOAuthError(reply, 400, 'expired_token', 'The device_code has expired; start again.');
    }
    if (record.lastPollAt !== null && now - record.lastPollAt < record.intervalSeconds * 1000) {
      const interval = record.intervalSeconds + SLOW_DOWN_STEP_SECONDS;
      await ctx.storage.recordTokenPoll(record.id, now, interval);
      return sendOAuthError(reply, 400, 'slow_down', `Polling too fast: wait at least ${interval} seconds between requests.`);
    }
    if (record.status === 'pending' || record.enrollmentId === null) {
      await ctx.storage.recordTokenPoll(record.id, now, record.intervalSeconds);
      // Number matching: once a kiosk shows this phone, the phone shows the same number.
      const matchNumber = phoneMatchNumber(ctx.codes, record);
      return matchNumber === null
        ? sendOAuthError(reply, 400, 'authorization_pending', 'The code has not been entered at a kiosk yet.')
        : sendOAuthError(reply, 400, 'authorization_pending',
          'A kiosk shows this phone: check that it shows the same number, then confirm there.', { match_number: matchNumber });
    }
    const accessToken = newOpaqueToken();
    const lifetime = ctx.config.deviceFlow.accessTokenLifetimeSeconds;
    const issued = await ctx.storage.issueAccessToken(record.id,
      { hash: hashToken(accessToken), expiresAt: now + lifetime * 1000, polledAt: now },
      auditEntry(ctx, 'token', 'success', null, { ...details, enrollmentId: record.enrollmentId }));
    if (!issued) return sendOAuthError(reply, 400, 'invalid_grant', 'This device_code was already exchanged for a token.');
    return reply.header('cache-control', 'no-store').send({
      access_token: accessToken, token_type: 'Bearer', expires_in: lifetime, enrollment_id: record.enrollmentId,
    });
  });

  app.get('/device', { schema: { hide: true } }, (_request, reply) => reply.type('text/plain; charset=utf-8').send(
    `${ctx.config.displayName}: type the code shown on your phone at a derived-credential kiosk, after signing in with your smart card.\n`,
  ));
}

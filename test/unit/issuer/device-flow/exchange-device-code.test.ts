// The RFC 8628 token poll, as a plain function: a fixed clock decides slow_down and expiry.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../../../../contracts/issuer-api.ts';
import { exchangeDeviceCode } from '../../../../issuer/device-flow/exchange-device-code.ts';
import { FixedWindowRateLimiter } from '../../../../issuer/rate-limit.ts';
import { showThenApprove, startRuleHarness } from '../rule-context.ts';
import type { RuleHarness } from '../rule-context.ts';

let h: RuleHarness;
beforeEach(async () => {
  h = await startRuleHarness();
});
afterEach(async () => {
  await h.close();
});

const poll = (deviceCode: string, overrides: { grant_type?: string; client_id?: string } = {}) =>
  exchangeDeviceCode(h.ctx, {
    grant_type: DEVICE_CODE_GRANT_TYPE,
    device_code: deviceCode,
    client_id: 'dck-phone',
    ip: '127.0.0.1',
    ...overrides,
  });

describe('exchangeDeviceCode', () => {
  it('pending until approved; polling faster than the interval is slow_down with a longer interval', async () => {
    const phone = await h.startPhone();
    expect(await poll(phone.deviceCode)).toMatchObject({ ok: false, error: { code: 'authorization_pending' } });
    const fast = await poll(phone.deviceCode);
    expect(fast).toMatchObject({ ok: false, error: { code: 'slow_down' } });
    expect(!fast.ok && fast.error.detail).toContain(`${h.ctx.config.deviceFlow.pollIntervalSeconds + 5} seconds`);
    h.advance((h.ctx.config.deviceFlow.pollIntervalSeconds + 5) * 1000);
    expect(await poll(phone.deviceCode)).toMatchObject({ ok: false, error: { code: 'authorization_pending' } });
    const session = await h.signIn(await h.card());
    const code = await showThenApprove(h.ctx, new FixedWindowRateLimiter(30, 60_000), {
      sessionToken: session,
      userCode: phone.userCode,
      ip: '127.0.0.1',
    });
    h.advance(60_000);
    const granted = await poll(phone.deviceCode);
    expect(granted).toMatchObject({
      ok: true,
      value: { token_type: 'Bearer', enrollment_id: code.ok ? code.value.enrollmentId : '' },
    });
    h.advance(60_000);
    expect(await poll(phone.deviceCode)).toMatchObject({ ok: false, error: { code: 'invalid_grant' } });
  });

  it('a device code past its lifetime is expired_token', async () => {
    const phone = await h.startPhone();
    h.advance(h.ctx.config.deviceFlow.codeLifetimeSeconds * 1000);
    expect(await poll(phone.deviceCode)).toMatchObject({ ok: false, error: { code: 'expired_token' } });
  });

  it('refuses another grant type, an unregistered client, an unknown device code', async () => {
    const phone = await h.startPhone();
    expect(await poll(phone.deviceCode, { grant_type: 'password' })).toMatchObject({
      ok: false,
      error: { code: 'unsupported_grant_type' },
    });
    expect(await poll(phone.deviceCode, { client_id: 'stranger' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_client' },
    });
    expect(await poll('x'.repeat(43))).toMatchObject({ ok: false, error: { code: 'invalid_grant' } });
  });
});

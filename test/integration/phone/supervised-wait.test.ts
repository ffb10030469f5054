// Supervised issuance, the phone's wait for the help-desk agent (phone/phone-client.ts redeemEnrollment) against a
// real issuer on loopback whose one-time passwords live OTP_SECONDS: the phone asks only while its password still
// works and then says so with its own code (no agent ever affirms here), and an abort ends the wait at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuerConnection } from '../../../contracts/issuer-caller.ts';
import { AFFIRMATION_POLL_SECONDS } from '../../../contracts/key-fingerprint.ts';
import { redeemEnrollment } from '../../../phone/phone-client.ts';
import { startHarness, type IssuerHarness } from '../issuer/issuer-fixture.ts';
import { approvedEnrollment, phoneConnection } from './phone-fixture.ts';

/** Short, so a test sees the password run out; longer than two of the phone's asks (AFFIRMATION_POLL_SECONDS: 3). */
const OTP_SECONDS = 7;

let h: IssuerHarness;
let connection: IssuerConnection;

beforeAll(async () => {
  h = await startHarness({
    config: { otp: { lifetimeSeconds: OTP_SECONDS } },
    tenantSettings: { supervision: 'agent-affirms' },
  });
  connection = phoneConnection(h);
});

afterAll(async () => {
  connection.close();
  await h.close();
});

const approvedPhone = () => approvedEnrollment(h, connection);

describe('phone waiting for the agent (supervised issuance)', () => {
  it('stops when its one-time password runs out, saying so, instead of asking on for minutes', async () => {
    const { token, qrPayload, otp } = await approvedPhone();
    const approvedAt = Date.now();
    const told: string[] = [];
    const result = await redeemEnrollment(connection, {
      token,
      qrPayload,
      otp: Buffer.from(otp),
      onAffirmationPending: (message) => told.push(message),
    });
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/Key fingerprint [0-9A-F]{4}(-[0-9A-F]{4}){3}/);
    expect(result).toEqual({
      ok: false,
      code: 'otp-expired-awaiting-agent',
      message: 'the one-time password expired while waiting for the help-desk agent: start again at the kiosk',
    });
    // It gave up at the password's end (at most one ask late), not after the old fixed 10 minutes.
    expect(Date.now() - approvedAt).toBeLessThan((OTP_SECONDS + AFFIRMATION_POLL_SECONDS) * 1000);
  });

  it('an abort while it waits ends the redemption as cancelled, long before the password runs out', async () => {
    const { token, qrPayload, otp } = await approvedPhone();
    const stop = new AbortController();
    const approvedAt = Date.now();
    const result = await redeemEnrollment(connection, {
      token,
      qrPayload,
      otp: Buffer.from(otp),
      signal: stop.signal,
      // The person gives up as soon as the phone shows its fingerprint.
      onAffirmationPending: () => setTimeout(() => stop.abort(), 200),
    });
    expect(result).toMatchObject({ ok: false, code: 'cancelled' });
    expect(Date.now() - approvedAt).toBeLessThan(OTP_SECONDS * 1000 - 3000);
  });

  it('an abort before the first answer sends nothing more and is cancelled, not "issuer unreachable"', async () => {
    const { token, qrPayload, otp } = await approvedPhone();
    const result = await redeemEnrollment(connection, {
      token,
      qrPayload,
      otp: Buffer.from(otp),
      signal: AbortSignal.abort(),
    });
    expect(result).toMatchObject({ ok: false, code: 'cancelled' });
  });
});

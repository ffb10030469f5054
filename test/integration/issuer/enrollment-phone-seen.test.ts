// The kiosk learns that the phone has scanned the QR code: the phone fetching the enrollment, or a password try for
// it reaching the issuer, sets `phoneSeen`, and a long poll without `since` answers on that change (not only on a state change).
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routePath } from '../../../contracts/issuer-routes.ts';
import type { EnrollmentStatus, PhoneEnrollment } from '../../../contracts/issuer-api.ts';
import { makeCsr, redeem, startHarness, upToRedeem } from './issuer-fixture.ts';
import type { IssuerHarness } from './issuer-fixture.ts';

let h: IssuerHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('issuer: enrollment status tells the kiosk the phone was seen', () => {
  it('a wrong password try wakes the long poll with phoneSeen (state still awaiting-phone); the next poll waits again', async () => {
    const { code, session, accessToken } = await upToRedeem(h);
    const statusPath = routePath('enrollmentStatus', { enrollmentId: code.enrollmentId });
    const before = await h.http.send<EnrollmentStatus>('GET', statusPath, { bearer: session.sessionToken });
    expect(before.body).toMatchObject({ state: 'awaiting-phone', phoneSeen: false });

    const started = performance.now();
    const longPoll = h.http.send<EnrollmentStatus>('GET', `${statusPath}?waitSeconds=20`, {
      bearer: session.sessionToken,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const wrong = code.otp === '00000000' ? '11111111' : '00000000';
    expect((await redeem(h.http, accessToken, code.enrollmentId, wrong, await makeCsr())).body.error).toBe('otp-wrong');
    const woke = await longPoll;
    expect(woke.body).toMatchObject({ state: 'awaiting-phone', phoneSeen: true });
    expect(performance.now() - started).toBeLessThan(10_000);

    // Nothing new since: a short poll waits out its time and answers the same.
    const again = await h.http.send<EnrollmentStatus>('GET', `${statusPath}?waitSeconds=1`, {
      bearer: session.sessionToken,
    });
    expect(again.body).toMatchObject({ state: 'awaiting-phone', phoneSeen: true });
  });

  it('the phone fetching the enrollment after scanning wakes the long poll with phoneSeen; only its own enrollment', async () => {
    const { code, session, accessToken } = await upToRedeem(h);
    const statusPath = routePath('enrollmentStatus', { enrollmentId: code.enrollmentId });
    const started = performance.now();
    const longPoll = h.http.send<EnrollmentStatus>('GET', `${statusPath}?waitSeconds=20`, {
      bearer: session.sessionToken,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const other = await upToRedeem(h);
    const forPhone = (enrollmentId: string, bearer: string) =>
      h.http.route<'enrollmentForPhone', PhoneEnrollment & { error?: string }>('enrollmentForPhone', {
        params: { enrollmentId },
        bearer,
      });
    // Another phone's token learns nothing about this enrollment and does not mark it seen.
    expect((await forPhone(code.enrollmentId, other.accessToken)).body.error).toBe('wrong-device');
    const fetched = await forPhone(code.enrollmentId, accessToken);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({
      enrollmentId: code.enrollmentId,
      state: 'awaiting-phone',
      otpLength: code.otp.length,
    });
    expect(fetched.body.expiresIn).toBeGreaterThan(0);
    expect((await longPoll).body).toMatchObject({ state: 'awaiting-phone', phoneSeen: true });
    expect(performance.now() - started).toBeLessThan(10_000);
    // A second fetch changes nothing: the next long poll waits its time out.
    await forPhone(code.enrollmentId, accessToken);
    const again = await h.http.send<EnrollmentStatus>('GET', `${statusPath}?waitSeconds=1`, {
      bearer: session.sessionToken,
    });
    expect(again.body).toMatchObject({ state: 'awaiting-phone', phoneSeen: true });
  });

  it('with `since`, the long poll keeps its old meaning: only a state change answers early', async () => {
    const { code, session, accessToken } = await upToRedeem(h);
    const statusPath = routePath('enrollmentStatus', { enrollmentId: code.enrollmentId });
    const started = performance.now();
    const longPoll = h.http.send<EnrollmentStatus>('GET', `${statusPath}?waitSeconds=2&since=awaiting-phone`, {
      bearer: session.sessionToken,
    });
    const wrong = code.otp === '00000000' ? '11111111' : '00000000';
    await redeem(h.http, accessToken, code.enrollmentId, wrong, await makeCsr());
    expect((await longPoll).body).toMatchObject({ state: 'awaiting-phone', phoneSeen: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_900);
  });
});

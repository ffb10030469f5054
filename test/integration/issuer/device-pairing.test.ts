// Number matching (RFC 8628 §5.4) against a real issuer and SQLite: the phone reports itself at device
// authorization, the kiosk is shown it with a number the phone also learns, approval needs that sign-in and that
// number, "not my phone" denies the phone, and the audit keeps what was shown and confirmed.
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT_TYPE } from '../../../contracts/issuer-api.ts';
import { ISSUER_API, routePath } from '../../../contracts/issuer-routes.ts';
import type { DeviceAuthorizationResponse } from '../../../contracts/issuer-api.ts';
import type { RedeemResponse } from '../../../contracts/issuer-api.ts';
import { approveShown, kioskSignIn, makeCsr, phonePoll, showPairing, startHarness } from './issuer-fixture.ts';
import type { IssuerHarness } from './issuer-fixture.ts';

let h: IssuerHarness;
beforeAll(async () => {
  h = await startHarness({ config: { deviceFlow: { pollIntervalSeconds: 1 } } });
});
afterAll(async () => {
  await h.close();
});

const PHONE = {
  device_platform: 'Android 15',
  device_model: 'Pixel 9',
  app_name: 'Derived Credentials',
  app_version: '2.4.1',
};

async function phoneStartAs(form: Record<string, string>) {
  return h.http.send<DeviceAuthorizationResponse & { error?: string; error_description?: string }>(
    'POST',
    ISSUER_API.deviceAuthorization.path,
    { form: { client_id: 'dck-phone', ...form } },
  );
}

async function reportedPhone() {
  const answer = await phoneStartAs(PHONE);
  expect(answer.status).toBe(200);
  return answer.body;
}

async function auditRows(event: string) {
  return (await h.issuer.storage.listAudit(0, 100_000)).filter((row) => row.event === event);
}

describe('issuer: the phone reports itself at device authorization', () => {
  it('what a phone reports is refused, with the field named, when a kiosk screen could not show it safely', async () => {
    const hostile: [Record<string, string>, string][] = [
      [{ device_model: 'Pixel\u202Eevil' }, 'device_model'], // right-to-left override
      [{ app_name: 'Bank\u2066App' }, 'app_name'], // bidi isolate
      [{ device_platform: 'iOS\n18' }, 'device_platform'], // line break
      [{ app_version: '1.0\u0007' }, 'app_version'], // BEL
      [{ device_model: 'Pix\u200Bel' }, 'device_model'], // zero-width space hides text
      [{ app_name: '\u0085App' }, 'app_name'], // C1 next line
      [{ device_model: '   ' }, 'device_model'], // only blanks
      [{ device_model: 'x'.repeat(65) }, 'device_model'], // over the contract's length
    ];
    for (const [form, field] of hostile) {
      const answer = await phoneStartAs(form);
      expect(answer.status, JSON.stringify(form)).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
      expect(answer.body.error_description).toContain(field);
    }
  });

  it('letters of any script, digits, punctuation and symbols are kept (trimmed)', async () => {
    const answer = await phoneStartAs({
      device_model: ' Galaxy S24 Ultra ',
      app_name: 'Références dérivées ©',
      device_platform: 'Android',
    });
    expect(answer.status).toBe(200);
    const session = await kioskSignIn(h.http, await h.card());
    const shown = await showPairing(h.http, session.sessionToken, answer.body.user_code);
    expect(shown.body.device).toEqual({
      platform: 'Android',
      model: 'Galaxy S24 Ultra',
      appName: 'Références dérivées ©',
      appVersion: null,
    });
  });
});

describe('issuer: number matching before approval', () => {
  it('the kiosk is shown the phone and a two-digit number; the phone learns the same number when it polls', async () => {
    const phone = await reportedPhone();
    const before = await phonePoll(h.http, phone.device_code);
    expect(before.body).toMatchObject({ error: 'authorization_pending' });
    expect(before.body).not.toHaveProperty('match_number');
    const session = await kioskSignIn(h.http, await h.card());
    const shown = await showPairing(h.http, session.sessionToken, phone.user_code.toLowerCase());
    expect(shown.status).toBe(200);
    expect(shown.body.device).toEqual({
      platform: 'Android 15',
      model: 'Pixel 9',
      appName: 'Derived Credentials',
      appVersion: '2.4.1',
    });
    expect(shown.body.matchNumber).toMatch(/^[0-9]{2}$/);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the poll interval (1 s in the test config)
    const after = await phonePoll(h.http, phone.device_code);
    expect(after.body).toMatchObject({ error: 'authorization_pending', match_number: shown.body.matchNumber });
  });

  it('approval without showing the phone first, or with another number, is refused and approves nothing', async () => {
    const phone = await reportedPhone();
    const session = await kioskSignIn(h.http, await h.card());
    const unshown = await approveShown(h.http, session.sessionToken, phone.user_code, '42');
    expect(unshown).toMatchObject({ status: 409, body: { error: 'pairing-not-shown' } });
    const shown = await showPairing(h.http, session.sessionToken, phone.user_code);
    const wrong = String((Number(shown.body.matchNumber) + 1) % 100).padStart(2, '0');
    expect(await approveShown(h.http, session.sessionToken, phone.user_code, wrong)).toMatchObject({
      status: 409,
      body: { error: 'pairing-number-mismatch' },
    });
    const approved = await approveShown(h.http, session.sessionToken, phone.user_code, shown.body.matchNumber);
    expect(approved.status).toBe(201);
  });

  it('another sign-in showing the same code takes the pairing over: a new number, and the first sign-in cannot approve', async () => {
    const phone = await reportedPhone();
    const first = await kioskSignIn(h.http, await h.card());
    const second = await kioskSignIn(h.http, await h.card());
    const firstShown = await showPairing(h.http, first.sessionToken, phone.user_code);
    const secondShown = await showPairing(h.http, second.sessionToken, phone.user_code);
    expect(secondShown.status).toBe(200);
    expect(await approveShown(h.http, first.sessionToken, phone.user_code, firstShown.body.matchNumber)).toMatchObject({
      status: 409,
      body: { error: 'pairing-not-shown' },
    });
  });

  it('the number depends on the phone and the sign-in: over many pairings it takes many values', async () => {
    const numbers = new Set<string>();
    const session = await kioskSignIn(h.http, await h.card());
    for (let i = 0; i < 12; i += 1) {
      const phone = await reportedPhone();
      numbers.add((await showPairing(h.http, session.sessionToken, phone.user_code)).body.matchNumber);
    }
    // 12 uniform draws from 100 values: at least 6 distinct except with probability below 1e-6.
    expect(numbers.size).toBeGreaterThanOrEqual(6);
  });

  it('"not my phone" denies the device authorization: the phone learns access_denied and nobody can approve it', async () => {
    const phone = await reportedPhone();
    const session = await kioskSignIn(h.http, await h.card());
    const shown = await showPairing(h.http, session.sessionToken, phone.user_code);
    const denied = await h.http.send('POST', routePath('devicePairingDeny', { pairingId: shown.body.pairingId }), {
      bearer: session.sessionToken,
    });
    expect(denied.status).toBe(204);
    expect((await phonePoll(h.http, phone.device_code)).body).toMatchObject({ error: 'access_denied' });
    expect(await approveShown(h.http, session.sessionToken, phone.user_code, shown.body.matchNumber)).toMatchObject({
      status: 409,
      body: { error: 'user-code-already-used' },
    });
    const rows = await auditRows('pairing-denied');
    expect(rows.at(-1)).toMatchObject({
      outcome: 'success',
      details: {
        deviceAuthorizationId: shown.body.pairingId,
        deviceModel: 'Pixel 9',
        appName: 'Derived Credentials',
        matchNumber: shown.body.matchNumber,
      },
    });
  });

  it('a sign-in cannot deny a phone it was not shown', async () => {
    const phone = await reportedPhone();
    const shower = await kioskSignIn(h.http, await h.card());
    const other = await kioskSignIn(h.http, await h.card());
    const shown = await showPairing(h.http, shower.sessionToken, phone.user_code);
    const refused = await h.http.send<{ error: string }>(
      'POST',
      routePath('devicePairingDeny', { pairingId: shown.body.pairingId }),
      { bearer: other.sessionToken },
    );
    expect(refused).toMatchObject({ status: 404, body: { error: 'pairing-unknown' } });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await phonePoll(h.http, phone.device_code)).body).toMatchObject({ error: 'authorization_pending' });
  });

  it("the approval's audit row holds what the person was shown and confirmed", async () => {
    const phone = await reportedPhone();
    const session = await kioskSignIn(h.http, await h.card());
    const shown = await showPairing(h.http, session.sessionToken, phone.user_code);
    const approved = await approveShown(h.http, session.sessionToken, phone.user_code, shown.body.matchNumber);
    const row = (await auditRows('approve')).find((entry) => entry.details.enrollmentId === approved.body.enrollmentId);
    expect(row).toMatchObject({
      outcome: 'success',
      details: {
        devicePlatform: 'Android 15',
        deviceModel: 'Pixel 9',
        appName: 'Derived Credentials',
        appVersion: '2.4.1',
        matchNumber: shown.body.matchNumber,
      },
    });
    expect(typeof row?.details.pairingShownAt).toBe('number');
  });

  it('showing an unknown code counts as a wrong code, like approving one', async () => {
    const session = await kioskSignIn(h.http, await h.card());
    const answer = await showPairing(h.http, session.sessionToken, 'BCDF-GHJK');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toBe('user-code-unknown');
    expect(answer.text).toContain('tries left');
  });

  it('the token request is unchanged for stock OAuth clients that report nothing', async () => {
    const answer = await phoneStartAs({});
    expect(answer.status).toBe(200);
    const session = await kioskSignIn(h.http, await h.card());
    const shown = await showPairing(h.http, session.sessionToken, answer.body.user_code);
    expect(shown.body.device).toEqual({ platform: null, model: null, appName: null, appVersion: null });
    const token = await h.http.send('POST', ISSUER_API.token.path, {
      form: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: answer.body.device_code, client_id: 'dck-phone' },
    });
    expect(token.status).toBe(400);
  });
});

describe('issuer: the binding record takes the device the person confirmed', () => {
  /** Up to a redeem whose body claims `claimed` for the device: the stored binding's device. */
  async function redeemClaiming(form: Record<string, string>, claimed: Record<string, string>) {
    const phone = await phoneStartAs(form);
    const session = await kioskSignIn(h.http, await h.card());
    const shown = await showPairing(h.http, session.sessionToken, phone.body.user_code);
    const approved = await approveShown(h.http, session.sessionToken, phone.body.user_code, shown.body.matchNumber);
    expect(approved.status).toBe(201);
    const token = await phonePoll(h.http, phone.body.device_code);
    const redeemed = await h.http.route<'redeemEnrollment', RedeemResponse>('redeemEnrollment', {
      params: { enrollmentId: approved.body.enrollmentId },
      body: { otp: approved.body.otp, csr: await makeCsr(), device: { id: 'phone-lies', ...claimed } },
      bearer: token.body.access_token,
    });
    expect(redeemed.status).toBe(200);
    const stored = await h.issuer.storage.findDerivedCertificate(redeemed.body.serialNumberHex);
    const audit = (await auditRows('redeem')).find(
      (row) => row.details.derivedSerial === redeemed.body.serialNumberHex,
    );
    return { device: stored?.device, audit };
  }

  it('a redeem body that lies about the device does not change the binding: platform and model are those confirmed', async () => {
    const { device, audit } = await redeemClaiming(PHONE, { platform: 'iOS 18', model: 'iPhone 16 Pro' });
    expect(device).toEqual({
      id: 'phone-lies',
      platform: 'Android 15',
      model: 'Pixel 9',
      source: 'confirmed-at-kiosk',
    });
    expect(audit?.details).toMatchObject({ deviceId: 'phone-lies', deviceSource: 'confirmed-at-kiosk' });
  });

  it('a phone that reported nothing at the kiosk gets no platform or model from its redeem body', async () => {
    const { device } = await redeemClaiming({}, { platform: 'Android 15', model: 'Pixel 9' });
    expect(device).toEqual({ id: 'phone-lies', platform: null, model: null, source: 'confirmed-at-kiosk' });
  });
});

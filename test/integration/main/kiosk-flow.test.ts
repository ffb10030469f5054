// The kiosk's main process end to end without a browser: private pcscd + the virtual PIV card, the real issuer
// over HTTPS, the phone client's device flow, driven through the same handlers the transports call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KioskView } from '../../../contracts/kiosk-api.ts';
import { startDemoEnvironment } from '../../../demo/demo-environment.ts';
import type { DemoEnvironment } from '../../../demo/demo-environment.ts';
import { startKioskRuntime } from '../../../main/runtime/kiosk-runtime.ts';
import type { KioskRuntime } from '../../../main/runtime/kiosk-runtime.ts';
import { connectToIssuer } from '../../../contracts/issuer-caller.ts';
import type { IssuerConnection } from '../../../contracts/issuer-caller.ts';
import {
  pollForToken,
  pollTokenOnce,
  redeemEnrollment,
  startDeviceAuthorization,
} from '../../../phone/phone-client.ts';

let demo: DemoEnvironment;
let runtime: KioskRuntime;
let phone: IssuerConnection;
const logs: string[] = [];

beforeAll(async () => {
  demo = await startDemoEnvironment({ virtualCard: 'always', cardholderName: 'Ada Lovelace' });
  runtime = await startKioskRuntime({
    issuerUrl: demo.issuer.url,
    issuerTrustPem: demo.issuer.tlsCertificatePem,
    card: demo.card,
    virtualCard: demo.virtualCard,
    completionWaitSeconds: 5,
    log: (event, fields) => logs.push(JSON.stringify({ event, ...fields })),
  });
  const connected = connectToIssuer(demo.issuer.url, demo.issuer.tlsCertificatePem);
  if (!connected.ok) throw new Error(connected.message);
  phone = connected.connection;
});

afterAll(async () => {
  await runtime?.stop();
  await demo?.stop();
});

function viewWhere(predicate: (view: KioskView) => boolean, timeoutMs = 15_000): Promise<KioskView> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out; last view: ${runtime.controller.view.screen}`));
    }, timeoutMs);
    const unsubscribe = runtime.controller.onView((view) => {
      if (!predicate(view)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(view);
    });
  });
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('kiosk main process with the virtual card and the real issuer', () => {
  it('insert → PIN → phone code → QR/OTP → phone redeems → done → card out → welcome', async () => {
    await viewWhere((v) => v.screen === 'welcome' && v.virtualCardOffered);
    expect(await runtime.controller.handlers.useVirtualCard()).toEqual({ ok: true, value: undefined });
    const pinView = await viewWhere((v) => v.screen === 'pin');
    expect(pinView).toMatchObject({ holderName: 'Ada Lovelace', triesLeft: 3 });

    await runtime.controller.handlers.submitPin(ascii('123456'), { confirmLastTry: false });
    await viewWhere((v) => v.screen === 'user-code');

    const flow = await startDeviceAuthorization(phone);
    if (!flow.ok) throw new Error(flow.message);
    await runtime.controller.handlers.submitUserCode(flow.value.userCode.toLowerCase());
    // Number matching: the kiosk shows what the phone reported and the number the phone learns when it polls.
    const confirm = await viewWhere((v) => v.screen === 'confirm-device');
    if (confirm.screen !== 'confirm-device') throw new Error('unreachable');
    expect(confirm.device).toEqual({
      platform: 'command line',
      model: 'dck phone stand-in',
      appName: 'dck phone',
      appVersion: '0.1',
    });
    const pending = await pollTokenOnce(phone, flow.value, flow.value.intervalSeconds);
    expect(pending).toEqual({
      ok: true,
      value: { state: 'pending', intervalSeconds: flow.value.intervalSeconds, matchNumber: confirm.matchNumber },
    });
    expect(await runtime.controller.handlers.confirmDevice()).toEqual({ ok: true, value: undefined });
    const enrollment = await viewWhere((v) => v.screen === 'enrollment');
    if (enrollment.screen !== 'enrollment') throw new Error('unreachable');
    expect(enrollment.otp).toMatch(/^[0-9]{6,12}$/);

    // Approved at the kiosk: the phone's first token poll is granted.
    const granted = await pollForToken(phone, flow.value, { timeoutMs: 30_000 });
    if (!granted.ok) throw new Error(granted.message);
    const redeemed = await redeemEnrollment(phone, {
      token: granted.value,
      qrPayload: enrollment.qrPayload,
      otp: Buffer.from(enrollment.otp),
    });
    expect(redeemed.ok).toBe(true);
    await viewWhere((v) => v.screen === 'done');

    await demo.virtualCard!.remove();
    await viewWhere((v) => v.screen === 'welcome');
    const logText = logs.join('\n');
    expect(logText).not.toContain('123456');
    expect(logText).not.toContain(enrollment.otp);
    expect(logText).not.toContain('Ada');
  });

  it('wrong PIN shows the tries left; the right PIN then signs in', async () => {
    await demo.virtualCard!.insert();
    await viewWhere((v) => v.screen === 'pin');
    await runtime.controller.handlers.submitPin(ascii('999999'), { confirmLastTry: false });
    expect(await viewWhere((v) => v.screen === 'pin' && v.lastAttempt === 'wrong')).toMatchObject({ triesLeft: 2 });
    await runtime.controller.handlers.submitPin(ascii('123456'), { confirmLastTry: false });
    await viewWhere((v) => v.screen === 'user-code');
    await demo.virtualCard!.remove();
    await viewWhere((v) => v.screen === 'welcome');
  });
});

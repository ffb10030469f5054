// The phone's redeem survives a lost answer, and its wait for the kiosk's approval survives a blip: a real issuer on
// loopback reached through a loopback TCP proxy (loopback-proxy.ts) that drops the redeem's answer after the issuer
// issued (its bytes arrive once the enrollment is stored completed), or is taken down for a while.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callIssuer, connectToIssuer, type IssuerConnection } from '../../../contracts/issuer-caller.ts';
import type { IssuerStorage } from '../../../issuer/storage/issuer-storage.ts';
import { openConfiguredStorage } from '../../../issuer/storage/open-storage.ts';
import { RETRY_FAILURES_MAX } from '../../../phone/issuer-retry.ts';
import {
  pollForToken,
  redeemEnrollment,
  startDeviceAuthorization,
  type RetryNotice,
} from '../../../phone/phone-client.ts';
import { approve, kioskSignIn, makeCsr, startHarness, type IssuerHarness } from '../issuer/issuer-fixture.ts';
import { startLoopbackProxy, type LoopbackProxy } from './loopback-proxy.ts';
import { approvedEnrollment, must } from './phone-fixture.ts';

let h: IssuerHarness;
let proxy: LoopbackProxy;
let connection: IssuerConnection;
let admin: IssuerStorage;

beforeAll(async () => {
  proxy = await startLoopbackProxy();
  h = await startHarness({
    // The issuer behind the proxy: its QR codes name the proxy, which the phone reaches it through.
    config: { publicBaseUrl: proxy.url, deviceFlow: { pollIntervalSeconds: 1 } },
  });
  proxy.forwardTo(Number(new URL(h.issuer.url).port));
  const connected = connectToIssuer(proxy.url, h.issuer.tlsCertificatePem);
  if (!connected.ok) throw new Error(connected.message);
  connection = connected.connection;
  admin = await openConfiguredStorage(h.issuer.config.storage, h.dataDir);
}, 60_000);

afterEach(async () => {
  await proxy.up().catch(() => undefined);
});

afterAll(async () => {
  connection.close();
  await proxy.close();
  await admin.close();
  await h.close();
});

/** This enrollment's `redeem` audit rows' codes (null: an issuance), oldest first. */
async function redeemAudit(enrollmentId: string): Promise<Array<string | null>> {
  const rows = await admin.listAudit(0, 100_000);
  return rows
    .filter((row) => row.event === 'redeem' && row.details.enrollmentId === enrollmentId)
    .map((row) => row.code);
}

const completed = async (enrollmentId: string) => (await admin.findEnrollment(enrollmentId))?.status === 'completed';

describe('a redeem whose answer was lost', () => {
  it('the phone asks again and gets the certificate the issuer issued: one issuance, one repeated delivery', async () => {
    const { token, qrPayload, otp, cardUuid } = await approvedEnrollment(h, connection);
    // The issuer's answer to the redeem is dropped: its bytes reach the proxy after the enrollment was completed.
    const cuts = proxy.cutAnswerOnceWhen(() => completed(token.enrollmentId));
    const notices: RetryNotice[] = [];
    const result = await redeemEnrollment(connection, {
      token,
      qrPayload,
      otp: Buffer.from(otp),
      onRetrying: (notice) => notices.push(notice),
    });
    expect(result.ok ? '' : `${result.code}: ${result.message}`).toBe('');
    expect(await cuts).toBe(1);
    expect(result.ok && result.value.summary.uuid).toBe(cardUuid);
    expect(result.ok && result.value.repeatedDelivery).toBe(true);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.reason).toMatch(/ECONNRESET|socket hang up/);
    for (const secret of [otp, token.accessToken]) expect(JSON.stringify(notices)).not.toContain(secret);
    const credentials = await admin.listDerivedCredentials({ personUuid: cardUuid }, 10);
    expect(credentials.map((credential) => credential.serialNumberHex)).toEqual([
      result.ok ? result.value.summary.serialNumberHex : '',
    ]);
    expect(await redeemAudit(token.enrollmentId)).toEqual([null, 'repeated-delivery']);
  }, 60_000);

  it('a retry with another key is refused, and concurrent retries with the issued key all carry the one certificate', async () => {
    const { token, otp, cardUuid } = await approvedEnrollment(h, connection);
    const csr = await makeCsr();
    const redeem = (withCsr: string) =>
      callIssuer(connection, 'redeemEnrollment', {
        params: { enrollmentId: token.enrollmentId },
        bearer: token.accessToken,
        body: { otp, csr: withCsr },
      });
    const answers = await Promise.all(Array.from({ length: 8 }, () => redeem(csr)));
    const serials = new Set(answers.map((answer) => (answer.ok ? answer.value.serialNumberHex : answer.message)));
    expect(serials.size).toBe(1);
    expect(answers.filter((answer) => answer.ok && answer.value.repeatedDelivery === true)).toHaveLength(7);
    expect(await redeem(await makeCsr())).toMatchObject({ ok: false, status: 409, code: 'enrollment-completed' });
    expect(await admin.listDerivedCredentials({ personUuid: cardUuid }, 10)).toHaveLength(1);
    const audit = await redeemAudit(token.enrollmentId);
    expect(audit.filter((code) => code === null)).toHaveLength(1);
    expect(audit.filter((code) => code === 'repeated-delivery')).toHaveLength(7);
    expect(audit.at(-1)).toBe('enrollment-completed');
  }, 60_000);
});

describe("the wait for the kiosk's approval", () => {
  /** A phone asks for a code, then the proxy goes down; `onRetrying` says at which retry the kiosk approves. */
  async function pollThroughTrouble(onRetrying: (notices: readonly RetryNotice[]) => boolean) {
    const flow = must(await startDeviceAuthorization(connection));
    await proxy.down();
    const notices: RetryNotice[] = [];
    let approved: Promise<number> = Promise.resolve(0);
    const started = Date.now();
    const result = await pollForToken(connection, flow, {
      onRetrying: (notice) => {
        notices.push(notice);
        if (!onRetrying(notices)) return;
        approved = (async () => {
          const session = await kioskSignIn(h.http, await h.card());
          return (await approve(h.http, session.sessionToken, flow.userCode)).status;
        })();
      },
    });
    return { result, notices, approvedStatus: await approved, elapsedMs: Date.now() - started, flow };
  }

  it('a blip (the connection refused twice): the phone backs off, asks again and gets its token', async () => {
    const { result, notices, approvedStatus } = await pollThroughTrouble((notices) => {
      if (notices.length !== 2) return false;
      void proxy.up();
      return true;
    });
    expect(result.ok ? '' : `${result.code}: ${result.message}`).toBe('');
    expect(approvedStatus).toBe(201);
    expect(notices.map((notice) => notice.failuresInARow)).toEqual([1, 2]);
    expect(notices[0]?.reason).toMatch(/cannot reach https:\/\/127\.0\.0\.1:[0-9]+: (ECONNREFUSED|ECONNRESET)/);
    expect(notices[0]?.delayMs).toBeGreaterThanOrEqual(500);
    expect(notices[1]?.delayMs).toBeLessThanOrEqual(2000);
  }, 60_000);

  it('an outage: it ends after a bounded number of failures in a row, saying so, long before the code expires', async () => {
    const { result, notices, elapsedMs, flow } = await pollThroughTrouble(() => false);
    expect(result).toMatchObject({ ok: false, code: 'issuer-unreachable' });
    expect(result.ok ? '' : result.message).toMatch(
      new RegExp(
        `^the issuer failed ${RETRY_FAILURES_MAX} times in a row while waiting for the kiosk's approval \\(last: .*(ECONNREFUSED|ECONNRESET)`,
      ),
    );
    expect(notices).toHaveLength(RETRY_FAILURES_MAX - 1);
    expect(JSON.stringify([notices, result])).not.toContain(flow.deviceCode);
    // Five back-offs of 0.5–1, 1–2, 2–4, 4–8, 4–8 s: at most 23 s, plus the refused connects.
    expect(elapsedMs).toBeLessThan(30_000);
  }, 60_000);
});

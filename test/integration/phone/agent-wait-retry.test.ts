// The phone's wait for the help-desk agent (supervised issuance) survives the issuer's rate limit and a network
// blip (phone/issuer-retry.ts): a real issuer on loopback whose OTP guesses per phone are limited to
// GUESSES_PER_MINUTE, reached by the phone through a loopback TCP proxy that a test takes down for a while, and a
// real agent who affirms the key's fingerprint. An issuer that stays gone ends the wait within seconds.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectToIssuer, type IssuerConnection } from '../../../contracts/issuer-caller.ts';
import { agentIdentityKey, grantAgentRole } from '../../../issuer/agent/agent-roles.ts';
import type { IssuerStorage } from '../../../issuer/storage/issuer-storage.ts';
import { openConfiguredStorage } from '../../../issuer/storage/open-storage.ts';
import { RETRY_FAILURES_MAX } from '../../../phone/issuer-retry.ts';
import { redeemEnrollment, type DeviceToken, type RetryNotice } from '../../../phone/phone-client.ts';
import { agentSignIn } from '../issuer/agent/agent-fixture.ts';
import { startHarness, type IssuerHarness } from '../issuer/issuer-fixture.ts';
import { startLoopbackProxy, type LoopbackProxy } from './loopback-proxy.ts';
import { approvedEnrollment } from './phone-fixture.ts';

/** Long enough to sit out the rate limit's window (Retry-After: up to 60 s) and still complete. */
const OTP_SECONDS = 120;
/** Low, so a test can use up one phone's guesses with a few redeems of its own. */
const GUESSES_PER_MINUTE = 3;

let h: IssuerHarness;
let proxy: LoopbackProxy;
let connection: IssuerConnection;
let admin: IssuerStorage;
let agentToken: string;

beforeAll(async () => {
  proxy = await startLoopbackProxy();
  h = await startHarness({
    config: {
      otp: { lifetimeSeconds: OTP_SECONDS },
      rateLimits: { codeGuessesPerMinute: GUESSES_PER_MINUTE },
      // The issuer behind the proxy: its QR codes name the proxy, which the phone reaches it through.
      publicBaseUrl: proxy.url,
    },
    tenantSettings: { supervision: 'agent-affirms' },
  });
  proxy.forwardTo(Number(new URL(h.issuer.url).port));
  const connected = connectToIssuer(proxy.url, h.issuer.tlsCertificatePem);
  if (!connected.ok) throw new Error(connected.message);
  connection = connected.connection;
  admin = await openConfiguredStorage(h.issuer.config.storage, h.dataDir);
  // Not h.card(): those share one FASC-N, and an agent never affirms an enrollment of their own card.
  const agentCard = await h.pki.issueCardCertificate({
    keyAlgorithm: 'P-256',
    commonName: 'Hal Helpdesk',
    fascn: `d7${'0'.repeat(48)}`,
  });
  await grantAgentRole(
    admin,
    agentIdentityKey('uuid', agentCard.uuid),
    'helpdesk',
    { kind: 'admin', id: 'it' },
    new Date(),
  );
  agentToken = (await agentSignIn(h, agentCard)).body.sessionToken;
}, 60_000);

afterEach(async () => {
  if (!(await proxyListening())) await proxy.up();
});

afterAll(async () => {
  connection.close();
  await proxy.close();
  await admin.close();
  await h.close();
});

function proxyListening(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The agent affirms the fingerprint the phone showed (directly at the issuer, not through the proxy). */
async function affirm(enrollmentId: string, pendingMessage: string): Promise<number> {
  const fingerprint = /Key fingerprint ([0-9A-F-]{19})/.exec(pendingMessage)?.[1] ?? '';
  const answer = await h.http.route('agentAffirmEnrollment', {
    params: { enrollmentId },
    body: { fingerprint, note: 'fingerprint read out by the person' },
    bearer: agentToken,
  });
  return answer.status;
}

/**
 * A phone approved at the kiosk redeems and waits for the agent, through the trouble a test makes: `onPending` once
 * the phone shows its fingerprint, `onRetrying` at each retry (true: the agent affirms now). Checks that nothing the
 * phone told its user holds the OTP or the token.
 */
async function redeemThroughTrouble(trouble: {
  onPending: (token: DeviceToken) => void;
  onRetrying: (notices: readonly RetryNotice[]) => boolean;
}) {
  const { token, qrPayload, otp, cardUuid } = await approvedEnrollment(h, connection);
  let pendingMessage = '';
  const notices: RetryNotice[] = [];
  let affirmed: Promise<number> = Promise.resolve(0);
  const started = Date.now();
  const result = await redeemEnrollment(connection, {
    token,
    qrPayload,
    otp: Buffer.from(otp),
    onAffirmationPending: (message) => {
      pendingMessage = message;
      trouble.onPending(token);
    },
    onRetrying: (notice) => {
      notices.push(notice);
      if (trouble.onRetrying(notices)) affirmed = affirm(token.enrollmentId, pendingMessage);
    },
  });
  const told = [pendingMessage, ...notices.map((notice) => notice.reason), result.ok ? '' : result.message];
  for (const secret of [otp, token.accessToken]) expect(told.join('\n')).not.toContain(secret);
  return { result, notices, affirmedStatus: await affirmed, cardUuid, elapsedMs: Date.now() - started };
}

describe('the wait for the agent goes on through a moment of trouble', () => {
  it('the connection drops and is refused for a while (proxy down): the phone backs off, then gets its certificate', async () => {
    const { result, notices, affirmedStatus, cardUuid } = await redeemThroughTrouble({
      onPending: () => void proxy.down(),
      // Two failed asks later the agent affirms and the network is back.
      onRetrying: (notices) => {
        if (notices.length !== 2) return false;
        void proxy.up();
        return true;
      },
    });
    expect(result.ok ? '' : `${result.code}: ${result.message}`).toBe('');
    expect(result.ok && result.value.summary.uuid).toBe(cardUuid);
    expect(affirmedStatus).toBe(204);
    expect(notices.map((notice) => notice.failuresInARow)).toEqual([1, 2]);
    expect(notices[0]?.reason).toMatch(/cannot reach https:\/\/127\.0\.0\.1:[0-9]+: (ECONNREFUSED|ECONNRESET)/);
    // Backed off with jitter: the first retry 0.5–1 s, the second 1–2 s.
    expect(notices[0]?.delayMs).toBeGreaterThanOrEqual(500);
    expect(notices[0]?.delayMs).toBeLessThanOrEqual(1000);
    expect(notices[1]?.delayMs).toBeGreaterThanOrEqual(1000);
    expect(notices[1]?.delayMs).toBeLessThanOrEqual(2000);
  }, 60_000);

  it('an issuer that stays gone ends the wait after a bounded number of failures, saying so, long before the OTP ends', async () => {
    const { result, notices, elapsedMs } = await redeemThroughTrouble({
      onPending: () => void proxy.down(),
      onRetrying: () => false,
    });
    expect(result).toMatchObject({ ok: false, code: 'issuer-lost-awaiting-agent' });
    expect(result.ok ? '' : result.message).toMatch(
      new RegExp(
        `^the issuer failed ${RETRY_FAILURES_MAX} times in a row while waiting for the help-desk agent \\(last: .*cannot reach`,
      ),
    );
    expect(notices).toHaveLength(RETRY_FAILURES_MAX - 1);
    // Five back-offs of 0.5–1, 1–2, 2–4, 4–8, 4–8 s: at most 23 s, plus the ask before and the refused connects.
    expect(elapsedMs).toBeLessThan(30_000);
  }, 60_000);

  // Last: the limiter's one-minute window began with the first test's approval, so its Retry-After is shorter now.
  it('the issuer rate-limits the waiting phone (429 + Retry-After): it waits as told, then gets its certificate', async () => {
    const { result, notices, affirmedStatus, cardUuid, elapsedMs } = await redeemThroughTrouble({
      // Something else holding this phone's token (a second tab of the app, say) spends its guesses on redeems of
      // an enrollment that does not exist: the issuer's real limiter now refuses the phone's next ask.
      onPending: (token) =>
        void Promise.all(
          Array.from({ length: GUESSES_PER_MINUTE }, () =>
            h.http.route('redeemEnrollment', {
              params: { enrollmentId: randomUUID() },
              body: { otp: '000000', csr: 'not a CSR' },
              bearer: token.accessToken,
            }),
          ),
        ),
      onRetrying: (notices) => notices.length === 1,
    });
    expect(result.ok ? '' : `${result.code}: ${result.message}`).toBe('');
    expect(result.ok && result.value.summary.uuid).toBe(cardUuid);
    expect(affirmedStatus).toBe(204);
    expect(notices.length).toBeGreaterThanOrEqual(1);
    expect(notices[0]?.reason).toMatch(/HTTP 429/);
    // It waited for the limit's window (Retry-After, at least 3 s), not longer than the window and a jitter.
    expect(notices[0]?.delayMs).toBeGreaterThanOrEqual(3000);
    expect(notices[0]?.delayMs).toBeLessThanOrEqual(61_000);
    expect(elapsedMs).toBeLessThan(OTP_SECONDS * 1000);
  }, 100_000);
});

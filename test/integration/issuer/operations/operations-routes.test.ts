// Operations of a running issuer, through real traffic: /metrics parsed by a strict exposition parser with the
// counters moving as enrollments, refusals and redemptions happen; who may read /metrics; /healthz and /readyz
// (a stale CRL makes the node not ready); the JSON log of a full enrollment holds none of its secrets, and the
// request id a client sends is echoed and logged.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_ID_HEADER } from '../../../../contracts/issuer-api.ts';
import { ISSUER_API, OPERATIONS_PATHS } from '../../../../contracts/issuer-routes.ts';
import { HttpsIssuerClient } from '../../../../main/issuer-client/https-issuer-client.ts';
import {
  answerChallenge,
  approve,
  b64u,
  challenge,
  kioskSignIn,
  makeCsr,
  phonePoll,
  phoneStart,
  redeem,
  startHarness,
} from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';
import { parseExposition, sampleValue } from './prometheus-text.ts';

class LineSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== ''),
    );
    done();
  }
}

let h: IssuerHarness;
const log = new LineSink();

async function scrape(harness: IssuerHarness) {
  const answer = await harness.http.send<string>('GET', OPERATIONS_PATHS.metrics);
  expect(answer.status).toBe(200);
  return parseExposition(answer.text);
}

beforeAll(async () => {
  h = await startHarness({ logStream: log });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('/metrics', () => {
  it('moves the outcome counters, latency histograms and signer figures with real traffic', async () => {
    const before = await scrape(h);
    const device = await phoneStart(h.http);
    const session = await kioskSignIn(h.http, await h.card());
    const approved = await approve(h.http, session.sessionToken, device.user_code);
    expect(approved.status).toBe(201);
    const unknownCode = await approve(h.http, session.sessionToken, 'BCDF-GHJK');
    expect(unknownCode.status).toBe(404);
    const token = await phonePoll(h.http, device.device_code);
    const wrong = await redeem(
      h.http,
      token.body.access_token,
      approved.body.enrollmentId,
      '00000000',
      await makeCsr(),
    );
    expect(wrong.body.error).toBe('otp-wrong');
    expect(
      (await redeem(h.http, token.body.access_token, approved.body.enrollmentId, approved.body.otp, await makeCsr()))
        .status,
    ).toBe(200);
    const replay = await answerChallenge(h.http, await h.card(), {
      ...(await challenge(h.http)),
      challengeId: 'no-such-challenge',
    });
    expect(replay.body.error).toBe('challenge-unknown');

    const after = await scrape(h);
    const moved = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(moved('dck_issuer_enrollments_total', { result: 'created' })).toBe(1);
    // An unknown code is refused when the kiosk asks to show its phone, before any approval.
    expect(moved('dck_issuer_device_pairings_total', { result: 'user-code-unknown' })).toBe(1);
    expect(moved('dck_issuer_device_pairings_total', { result: 'shown' })).toBe(1);
    expect(moved('dck_issuer_redeems_total', { outcome: 'issued' })).toBe(1);
    expect(moved('dck_issuer_redeems_total', { outcome: 'otp-wrong' })).toBe(1);
    expect(moved('dck_issuer_pki_auth_refusals_total', { code: 'challenge-unknown' })).toBe(1);
    expect(moved('dck_issuer_pki_auth_successes_total')).toBe(1);
    expect(
      moved('dck_issuer_http_request_duration_seconds_count', {
        route: ISSUER_API.redeemEnrollment.path,
        method: 'POST',
        status: '200',
      }),
    ).toBe(1);
    expect(
      moved('dck_issuer_http_request_duration_seconds_count', {
        route: ISSUER_API.redeemEnrollment.path,
        method: 'POST',
        status: '401',
      }),
    ).toBe(1);
    expect(moved('dck_issuer_ca_signer_duration_seconds_count', { signer: 'software' })).toBe(1);
    expect(sampleValue(after, 'dck_issuer_ca_signer_up')).toBe(1);
    expect(after.get('dck_issuer_storage_busy_retries_total')?.type).toBe('counter');
    expect(after.get('dck_issuer_http_request_duration_seconds')?.type).toBe('histogram');
  });

  it('gives unmatched paths one label, so scanning cannot grow the series', async () => {
    for (const path of ['/a', '/b/c', '/.env']) expect((await h.http.send('GET', path)).status).toBe(404);
    const families = await scrape(h);
    const routes = new Set(
      families.get('dck_issuer_http_request_duration_seconds')?.samples.map((s) => s.labels.route),
    );
    expect(routes.has('unmatched')).toBe(true);
    expect([...routes].some((route) => route === '/.env' || route === '/a')).toBe(false);
  });

  it('answers only the bearer token holder when a token file is configured', async () => {
    const tokenFile = join(h.dataDir, 'metrics-token');
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(tokenFile, `${secret}\n`, { mode: 0o600 });
    const guarded = await startHarness({ config: { operations: { metricsBearerTokenFile: tokenFile } } });
    try {
      const none = await guarded.http.send('GET', OPERATIONS_PATHS.metrics);
      expect(none.status).toBe(403);
      expect(none.body.error).toBe('metrics-forbidden');
      expect(
        (await guarded.http.send('GET', OPERATIONS_PATHS.metrics, { bearer: randomBytes(32).toString('base64url') }))
          .status,
      ).toBe(403);
      const allowed = await guarded.http.send<string>('GET', OPERATIONS_PATHS.metrics, { bearer: secret });
      expect(allowed.status).toBe(200);
      expect(parseExposition(allowed.text).has('dck_issuer_redeems_total')).toBe(true);
    } finally {
      await guarded.close();
    }
  });
});

describe('/healthz and /readyz', () => {
  it('are up and ready, and /readyz turns not-ready once a configured CRL is past its nextUpdate', async () => {
    expect((await h.http.send('GET', OPERATIONS_PATHS.healthz)).body).toEqual({ status: 'up' });
    const ready = await h.http.send('GET', OPERATIONS_PATHS.readyz);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: { database: { ok: true }, caSigner: { ok: true }, crls: { ok: true } },
    });
    h.advanceClock(2 * 86_400_000);
    try {
      const stale = await h.http.send<{ checks: { crls: { ok: boolean; reason: string } } }>(
        'GET',
        OPERATIONS_PATHS.readyz,
      );
      expect(stale.status).toBe(503);
      expect(stale.body.checks.crls.reason).toMatch(/^crl-stale: .*root\.crl$/);
      expect((await h.http.send('GET', OPERATIONS_PATHS.healthz)).status).toBe(200);
      expect(sampleValue(await scrape(h), 'dck_issuer_ready')).toBe(0);
    } finally {
      h.advanceClock(-2 * 86_400_000);
    }
  });
});

describe('JSON request log', () => {
  it('logs a full enrollment, wrong guesses included, without any of its secrets', async () => {
    log.lines.length = 0;
    const card = await h.card();
    const device = await phoneStart(h.http);
    const session = await kioskSignIn(h.http, card);
    const approved = await approve(h.http, session.sessionToken, device.user_code);
    const token = await phonePoll(h.http, device.device_code);
    const csr = await makeCsr();
    const wrongOtp = String(Number(approved.body.otp.slice(0, 8)) ^ 1).padStart(8, '0');
    await redeem(h.http, token.body.access_token, approved.body.enrollmentId, wrongOtp, csr);
    const issued = await redeem(h.http, token.body.access_token, approved.body.enrollmentId, approved.body.otp, csr);
    expect(issued.status).toBe(200);
    // A malformed body is refused before any handler: its content must not reach the log either.
    await h.http.send('POST', ISSUER_API.approveUserCode.path, {
      raw: `{"userCode": ${JSON.stringify(device.user_code)}, "otp": "${approved.body.otp}"`,
      bearer: session.sessionToken,
    });

    const pemBody = (pem: string) =>
      pem
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('-----'))
        .join('');
    const secrets = {
      deviceCode: device.device_code,
      userCode: device.user_code,
      userCodeBare: device.user_code.replace('-', ''),
      accessToken: token.body.access_token,
      sessionToken: session.sessionToken,
      otp: approved.body.otp,
      wrongOtp,
      csr: pemBody(csr).slice(0, 40),
      cardKey: b64u(card.privateKeyPkcs8).slice(0, 40),
      cardKeyBase64: Buffer.from(card.privateKeyPkcs8).toString('base64').slice(10, 50),
      caKey: pemBody(readFileSync(join(h.dataDir, 'issuing-ca-key.pem'), 'utf8')).slice(10, 50),
      tlsKey: pemBody(readFileSync(join(h.dataDir, 'tls-key.pem'), 'utf8')).slice(10, 50),
      serverSecret: readFileSync(join(h.dataDir, 'server-secret.bin')).toString('hex').slice(0, 16),
    };
    expect(log.lines.length).toBeGreaterThanOrEqual(8);
    for (const line of log.lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toMatchObject({ service: 'dck-issuer', requestId: expect.any(String) as string });
      for (const [name, secret] of Object.entries(secrets)) {
        expect(line.includes(secret), `${name} in log line ${line}`).toBe(false);
      }
    }
    const redeems = log.lines
      .map((line) => JSON.parse(line) as { route?: string; status?: number; errorCode?: string | null })
      .filter((entry) => entry.route === ISSUER_API.redeemEnrollment.path);
    expect(redeems.map((entry) => [entry.status, entry.errorCode])).toEqual([
      [401, 'otp-wrong'],
      [200, null],
    ]);
  });

  it("echoes and logs the request id the kiosk's client sends, and the kiosk names it in its failure detail", async () => {
    log.lines.length = 0;
    const kiosk = new HttpsIssuerClient({ baseUrl: h.issuer.url, trustedCaPem: h.issuer.tlsCertificatePem });
    try {
      const result = await kiosk.approveUserCode('A'.repeat(43), 'BCDF-GHJK', '42');
      expect(result.ok).toBe(false);
      const requestId = /\(request ([0-9a-f-]{36})\)/.exec(result.ok ? '' : result.error.detail)?.[1] ?? 'none';
      const line = log.lines
        .map((text) => JSON.parse(text) as { requestId?: string; errorCode?: string })
        .find((entry) => entry.requestId === requestId);
      expect(line?.errorCode).toBe('invalid-session');
    } finally {
      kiosk.close();
    }
    // A malformed id is replaced by one the issuer makes (it cannot forge log structure).
    const echoed = await fetchHeader(h, 'bad id with spaces and "quotes"');
    expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
    expect(await fetchHeader(h, 'kiosk-7.req-000123')).toBe('kiosk-7.req-000123');
  });
});

async function fetchHeader(harness: IssuerHarness, sent: string): Promise<string | undefined> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(OPERATIONS_PATHS.healthz, harness.issuer.url),
      {
        ca: harness.issuer.tlsCertificatePem,
        headers: { [REQUEST_ID_HEADER]: sent },
      },
      (res) => {
        res.resume();
        resolve(res.headers[REQUEST_ID_HEADER] as string | undefined);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

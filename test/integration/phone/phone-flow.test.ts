// The phone stand-in against a real issuer on loopback (HTTPS with its self-signed certificate, SQLite, the
// test PKI's card): in-process through phone/phone-client.ts, and as a user runs it through `dck phone`.
import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callIssuer, connectToIssuer, type IssuerConnection } from '../../../contracts/issuer-caller.ts';
import { decodeQrImageFile } from '../../../phone/qr-code.ts';
import { pollTokenOnce, redeemEnrollment, startDeviceAuthorization } from '../../../phone/phone-client.ts';
import { approve, kioskSignIn, startHarness, type IssuerHarness } from '../issuer/issuer-fixture.ts';
import { approvedEnrollment as approvedPhone, must, phoneConnection } from './phone-fixture.ts';

let h: IssuerHarness;
let connection: IssuerConnection;
let workDir: string;

beforeAll(async () => {
  h = await startHarness();
  workDir = mkdtempSync(join(tmpdir(), 'dck-phone-flow-'));
  connection = phoneConnection(h);
});

afterAll(async () => {
  connection.close();
  await h.close();
  rmSync(workDir, { recursive: true, force: true });
});

const approvedEnrollment = () => approvedPhone(h, connection);

describe('phone client in-process', () => {
  it('waits while the kiosk has not approved, then gets its token', async () => {
    const flow = must(await startDeviceAuthorization(connection));
    expect(flow.userCode).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(must(await pollTokenOnce(connection, flow, flow.intervalSeconds))).toEqual({
      state: 'pending',
      intervalSeconds: flow.intervalSeconds,
      matchNumber: null,
    });
    // Polling again at once is too fast: RFC 8628 slow_down, and the phone lengthens its interval.
    expect(must(await pollTokenOnce(connection, flow, flow.intervalSeconds))).toEqual({
      state: 'pending',
      intervalSeconds: flow.intervalSeconds + 5,
      matchNumber: null,
    });
  });

  it('full flow: QR from a PNG (jsqr, cross-checked by zbarimg) + OTP → verified derived certificate', async () => {
    const { token, qrPayload, otp, cardUuid } = await approvedEnrollment();
    const png = join(workDir, 'kiosk-qr.png');
    writeFileSync(png, await QRCode.toBuffer(qrPayload, { errorCorrectionLevel: 'M', scale: 6 }));
    const scanned = must(await decodeQrImageFile(png));
    expect(scanned).toBe(qrPayload);
    expect(
      execFileSync('zbarimg', ['--quiet', '--raw', png], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim(),
    ).toBe(qrPayload);

    const otpBuffer = Buffer.from(otp);
    const redeemed = must(await redeemEnrollment(connection, { token, qrPayload: scanned, otp: otpBuffer }));
    expect(redeemed.summary.uuid).toBe(cardUuid);
    expect(redeemed.summary.policies).toContain('2.16.840.1.101.3.2.1.3.40');
    expect(redeemed.privateKeyPkcs8.byteLength).toBeGreaterThan(100);
  });

  it('a wrong OTP is refused by the issuer with the tries left; the right one still works afterwards', async () => {
    const { token, qrPayload, otp } = await approvedEnrollment();
    const wrong = otp === '00000000' ? '11111111' : '00000000';
    const refused = await redeemEnrollment(connection, { token, qrPayload, otp: Buffer.from(wrong) });
    expect(refused).toMatchObject({ ok: false, code: 'issuer-refused', issuerCode: 'otp-wrong', attemptsLeft: 4 });
    expect((await redeemEnrollment(connection, { token, qrPayload, otp: Buffer.from(otp) })).ok).toBe(true);
  });

  it('a QR pointing at another issuer is refused before anything is sent', async () => {
    const { token, otp } = await approvedEnrollment();
    const hostile = `https://evil.example/e/${token.enrollmentId}`;
    expect(await redeemEnrollment(connection, { token, qrPayload: hostile, otp: Buffer.from(otp) })).toMatchObject({
      ok: false,
      code: 'qr-wrong-issuer',
    });
  });

  it('a QR of another enrollment (photographed from another kiosk screen) is refused', async () => {
    const first = await approvedEnrollment();
    const second = await approvedEnrollment();
    expect(
      await redeemEnrollment(connection, {
        token: first.token,
        qrPayload: second.qrPayload,
        otp: Buffer.from(second.otp),
      }),
    ).toMatchObject({ ok: false, code: 'qr-wrong-enrollment' });
  });

  it('trusts only the CA it is given: the self-signed issuer is unreachable without it', async () => {
    const untrusting = connectToIssuer(h.issuer.url, null);
    if (!untrusting.ok) throw new Error(untrusting.message);
    const result = await startDeviceAuthorization(untrusting.connection);
    untrusting.connection.close();
    expect(result).toMatchObject({ ok: false, code: 'issuer-unreachable' });
    expect(result.ok ? '' : result.message).toMatch(/certificate/i);
  });
});

function dck(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/dck.js', 'phone', ...args], {
      cwd: process.cwd(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('dck phone (the command a help-desk agent runs)', () => {
  it('start → (kiosk approves) → poll → redeem --qr-image with the OTP on stdin', async () => {
    const stateDir = join(workDir, 'cli-state');
    const caFile = join(workDir, 'issuer-tls.pem');
    writeFileSync(caFile, h.issuer.tlsCertificatePem);

    const started = await dck(['start', '--issuer', h.issuer.url, '--ca', caFile, '--state', stateDir, '--json']);
    expect(started.code).toBe(0);
    const { userCode } = JSON.parse(started.stdout) as { userCode: string };
    expect(userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(statSync(join(stateDir, 'state.json')).mode & 0o777).toBe(0o600);

    const card = await h.card();
    const session = await kioskSignIn(h.http, card);
    const approved = await approve(h.http, session.sessionToken, userCode);
    expect(approved.status).toBe(201);

    const polled = await dck(['poll', '--state', stateDir, '--timeout', '30', '--json']);
    expect(polled.code).toBe(0);
    expect(JSON.parse(polled.stdout)).toMatchObject({ approved: true, enrollmentId: approved.body.enrollmentId });

    const png = join(workDir, 'cli-qr.png');
    writeFileSync(png, await QRCode.toBuffer(approved.body.qrPayload, { scale: 5 }));
    const redeemed = await dck(['redeem', '--qr-image', png, '--state', stateDir], `${approved.body.otp}\n`);
    expect(redeemed.code).toBe(0);
    expect(redeemed.stdout).toContain('Derived PIV Authentication certificate installed.');
    expect(redeemed.stdout).toContain(card.uuid);
    expect(redeemed.stdout + redeemed.stderr).not.toContain(approved.body.otp);
    const keyFile = join(stateDir, 'derived-key.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, 'latin1')).toContain('-----BEGIN PRIVATE KEY-----');
    expect(
      readFileSync(join(stateDir, 'derived-certificate.pem'), 'latin1').match(/BEGIN CERTIFICATE/g)?.length,
    ).toBeGreaterThanOrEqual(2);

    // The "app" notification channel: the credential's state, and renewal-due once 80% of its life has passed.
    const fresh = await dck(['status', '--state', stateDir, '--json']);
    expect(fresh.code).toBe(0);
    const freshStatus = JSON.parse(fresh.stdout) as {
      state: string;
      renewalDue: boolean;
      renewalDueAt: string;
      notAfter: string;
    };
    expect(freshStatus).toMatchObject({ state: 'active', renewalDue: false });
    const lifetime = new Date(freshStatus.notAfter).getTime() - Date.now();
    expect(new Date(freshStatus.renewalDueAt).getTime() - Date.now()).toBeCloseTo(lifetime * 0.8, -6);
    const dayMs = 86_400_000;
    h.advanceClock(293 * dayMs);
    try {
      const due = await dck(['status', '--state', stateDir]);
      expect(due.code).toBe(0);
      expect(due.stdout).toContain(': active');
      expect(due.stdout).toContain('renewal      due: enroll this phone again at a kiosk with your card');
    } finally {
      h.advanceClock(-293 * dayMs);
    }
  });

  it('renewal: the same phone enrolling again with the same card supersedes its older credential', async () => {
    const stateDir = join(workDir, 'renewal-state');
    const caFile = join(workDir, 'renewal-issuer-tls.pem');
    writeFileSync(caFile, h.issuer.tlsCertificatePem);
    const card = await h.card();
    const enrollOnce = async (): Promise<string> => {
      const started = await dck(['start', '--issuer', h.issuer.url, '--ca', caFile, '--state', stateDir, '--json']);
      expect(started.code).toBe(0);
      const { userCode } = JSON.parse(started.stdout) as { userCode: string };
      const session = await kioskSignIn(h.http, card);
      const approved = await approve(h.http, session.sessionToken, userCode);
      expect(approved.status).toBe(201);
      expect((await dck(['poll', '--state', stateDir, '--timeout', '30'])).code).toBe(0);
      const redeemed = await dck(
        ['redeem', '--qr-text', approved.body.qrPayload, '--state', stateDir],
        `${approved.body.otp}\n`,
      );
      expect(redeemed.code).toBe(0);
      const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as {
        credential: { serialNumberHex: string };
      };
      return state.credential.serialNumberHex;
    };
    const first = await enrollOnce();
    const second = await enrollOnce();
    expect(second).not.toBe(first);
    const statusOf = async (serialNumberHex: string) =>
      must(await callIssuer(connection, 'credentialStatus', { params: { serialNumberHex } }));
    expect((await statusOf(first)).state).toBe('revoked');
    expect((await statusOf(second)).state).toBe('active');
  });

  it('refuses a hostile QR text with a clear message and exit code 1', async () => {
    const stateDir = join(workDir, 'cli-hostile');
    const caFile = join(workDir, 'issuer-tls.pem');
    writeFileSync(caFile, h.issuer.tlsCertificatePem);
    expect((await dck(['start', '--issuer', h.issuer.url, '--ca', caFile, '--state', stateDir, '--json'])).code).toBe(
      0,
    );
    const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      join(stateDir, 'state.json'),
      JSON.stringify({
        ...state,
        token: { accessToken: 'x'.repeat(43), enrollmentId: 'A'.repeat(22), expiresAt: Date.now() + 60_000 },
      }),
      { mode: 0o600 },
    );
    const hostile = await dck(
      ['redeem', '--qr-text', `https://evil.example/e/${'A'.repeat(22)}`, '--state', stateDir],
      '12345678\n',
    );
    expect(hostile.code).toBe(1);
    expect(hostile.stderr).toContain('not to the issuer this phone registered with');
  });

  it('refuses an OTP on the command line (it would land in shell history)', async () => {
    const result = await dck(['redeem', '--otp', '12345678', '--qr-text', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"--otp" is not an option of dck phone redeem');
  });
});

// The kiosk's HTTPS issuer client against the real issuer: it trusts only the certificate it is given, and every
// failure arrives as data with a code the session can act on (never a throw, never a hang).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIssuer } from '../../../issuer/start-issuer.ts';
import type { RunningIssuer } from '../../../issuer/start-issuer.ts';
import { HttpsIssuerClient } from '../../../main/issuer-client/https-issuer-client.ts';

let issuer: RunningIssuer;
let other: RunningIssuer;
let hanging: Server;
let hostile: Server;
let dripping: Server;
const dripTimers = new Set<NodeJS.Timeout>();

/** Answers that no working issuer gives: each must become `unreachable`, never a throw or a wrong value. */
const HOSTILE_ANSWERS: Record<string, { status: number; body: string | Buffer }> = {
  '/.well-known/dck-issuer': { status: 200, body: '{"displayName":' }, // truncated JSON
  '/pki-auth/challenge': { status: 200, body: JSON.stringify({ challengeId: 'x', challenge: 'AA', expiresIn: 60 }) }, // too short
  '/enrollments': {
    status: 200,
    body: JSON.stringify({ enrollmentId: 'e', qrPayload: 'q', otp: '1', expiresIn: 'soon' }),
  }, // schema
  '/enrollments/AAAAAAAAAAAAAAAAAAAAAA/refresh': {
    status: 500,
    body: JSON.stringify({ error: 'user-code-unknown', message: 'lies' }),
  },
  '/enrollments/AAAAAAAAAAAAAAAAAAAAAA/status': { status: 200, body: Buffer.alloc(300 * 1024, 0x20) }, // oversize
};
const dirs: string[] = [];

beforeAll(async () => {
  const start = () => {
    const dir = mkdtempSync(join(tmpdir(), 'dck-kiosk-issuer-'));
    dirs.push(dir);
    return startIssuer({ dataDir: dir, port: 0 });
  };
  issuer = await start();
  other = await start(); // a second issuer with its own self-signed certificate
  // An HTTPS server with the issuer's identity that never answers (for timeouts).
  const tlsDir = dirs[0]!;
  const { readFileSync } = await import('node:fs');
  hanging = createServer(
    { key: readFileSync(join(tlsDir, 'tls-key.pem')), cert: readFileSync(join(tlsDir, 'tls-certificate.pem')) },
    () => undefined,
  );
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve()));
  hostile = createServer(
    { key: readFileSync(join(tlsDir, 'tls-key.pem')), cert: readFileSync(join(tlsDir, 'tls-certificate.pem')) },
    (req, res) => {
      const answer = HOSTILE_ANSWERS[new URL(req.url ?? '/', 'https://x').pathname] ?? {
        status: 404,
        body: '<html>nope</html>',
      };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    },
  );
  await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', () => resolve()));
  // Answers at once, then drips its body one byte every 100 ms for ever: an idle timer never fires.
  dripping = createServer(
    { key: readFileSync(join(tlsDir, 'tls-key.pem')), cert: readFileSync(join(tlsDir, 'tls-certificate.pem')) },
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
      const timer = setInterval(() => res.write(' '), 100);
      dripTimers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
        dripTimers.delete(timer);
      });
    },
  );
  await new Promise<void>((resolve) => dripping.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(async () => {
  hanging.closeAllConnections();
  hanging.close();
  hostile.closeAllConnections();
  hostile.close();
  for (const timer of dripTimers) clearInterval(timer);
  dripping.closeAllConnections();
  dripping.close();
  await issuer.close();
  await other.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('kiosk issuer client', () => {
  it('reads metadata and gets a PKI-AUTH challenge from the issuer it trusts', async () => {
    const client = new HttpsIssuerClient({ baseUrl: issuer.url, trustedCaPem: issuer.tlsCertificatePem });
    try {
      expect(await client.metadata()).toMatchObject({ ok: true, value: { otpLength: expect.any(Number) as number } });
      const challenge = await client.challenge();
      expect(challenge.ok && challenge.value.challenge.length).toBeGreaterThanOrEqual(16);
    } finally {
      client.close();
    }
  });

  it("refuses an issuer whose TLS certificate it was not given (another issuer's) → unreachable", async () => {
    const client = new HttpsIssuerClient({ baseUrl: issuer.url, trustedCaPem: other.tlsCertificatePem });
    try {
      const result = await client.metadata();
      expect(result).toMatchObject({ ok: false, error: { code: 'unreachable' } });
      expect(!result.ok && result.error.detail).toMatch(/SELF_SIGNED|CERT|certificate/i);
    } finally {
      client.close();
    }
  });

  it('nothing listening → unreachable at once', async () => {
    const client = new HttpsIssuerClient({ baseUrl: 'https://127.0.0.1:1', trustedCaPem: issuer.tlsCertificatePem });
    expect(await client.metadata()).toMatchObject({
      ok: false,
      error: { code: 'unreachable', detail: expect.stringContaining('ECONNREFUSED') as string },
    });
    client.close();
  });

  it('an issuer that never answers → unreachable after the time limit, not a hang', async () => {
    const port = (hanging.address() as AddressInfo).port;
    const client = new HttpsIssuerClient({
      baseUrl: `https://127.0.0.1:${port}`,
      trustedCaPem: issuer.tlsCertificatePem,
      timeoutMs: 300,
    });
    const started = Date.now();
    expect(await client.metadata()).toMatchObject({
      ok: false,
      error: { code: 'unreachable', detail: expect.stringContaining('timed out') as string },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    client.close();
  });

  it('an issuer that drips its answer → unreachable at the overall deadline, for every call', async () => {
    const port = (dripping.address() as AddressInfo).port;
    const client = new HttpsIssuerClient({
      baseUrl: `https://127.0.0.1:${port}`,
      trustedCaPem: issuer.tlsCertificatePem,
      timeoutMs: 500,
    });
    try {
      const started = Date.now();
      expect(await client.metadata()).toMatchObject({
        ok: false,
        error: { code: 'unreachable', detail: expect.stringContaining('timed out') as string },
      });
      expect(await client.challenge()).toMatchObject({ ok: false, error: { code: 'unreachable' } });
      expect(await client.approveUserCode('t', 'BCDFGHJK', '42')).toMatchObject({
        ok: false,
        error: { code: 'unreachable' },
      });
      expect(await client.showDevicePairing('t', 'BCDFGHJK')).toMatchObject({
        ok: false,
        error: { code: 'unreachable' },
      });
      expect(Date.now() - started).toBeLessThan(6_000);
    } finally {
      client.close();
    }
  });

  it('issuer refusals keep their contract codes (bad session, unknown enrollment) without leaking the token', async () => {
    const client = new HttpsIssuerClient({ baseUrl: issuer.url, trustedCaPem: issuer.tlsCertificatePem });
    try {
      const token = 'not-a-session-token-0123456789';
      const approve = await client.approveUserCode(token, 'BCDFGHJK', '42');
      expect(approve).toMatchObject({ ok: false, error: { code: 'invalid-session' } });
      expect(JSON.stringify(approve)).not.toContain(token);
      const shown = await client.showDevicePairing(token, 'BCDFGHJK');
      expect(shown).toMatchObject({ ok: false, error: { code: 'invalid-session' } });
      const denied = await client.denyDevicePairing(token, 'A'.repeat(22));
      // The detail names status, code and request id (the bounded caller's form), never the pairing id.
      expect(denied).toMatchObject({
        ok: false,
        error: { code: 'invalid-session', detail: expect.stringContaining('HTTP 401') as string },
      });
      expect(JSON.stringify(denied)).not.toContain('A'.repeat(22));
      const garbage = await client.answerChallenge({
        challengeId: 'x'.repeat(22),
        kioskNonce: new Uint8Array(32),
        certificateDer: new Uint8Array([0x30, 0]),
        signature: new Uint8Array([1]),
      });
      expect(garbage.ok).toBe(false);
    } finally {
      client.close();
    }
  });

  it('turns hostile answers (truncated, too short, off-contract, 5xx with a 4xx code, oversize, HTML) into unreachable', async () => {
    const port = (hostile.address() as AddressInfo).port;
    const client = new HttpsIssuerClient({
      baseUrl: `https://127.0.0.1:${port}`,
      trustedCaPem: issuer.tlsCertificatePem,
    });
    const id = 'AAAAAAAAAAAAAAAAAAAAAA';
    try {
      const results = [
        await client.metadata(),
        await client.challenge(),
        await client.approveUserCode('t', 'BCDFGHJK', '42'),
        await client.showDevicePairing('t', 'BCDFGHJK'),
        await client.denyDevicePairing('t', id),
        await client.refreshEnrollment('t', id),
        await client.enrollmentStatus('t', id, 1),
        await client.answerChallenge({
          challengeId: id,
          kioskNonce: new Uint8Array(32),
          certificateDer: new Uint8Array([1]),
          signature: new Uint8Array([1]),
        }),
      ];
      for (const result of results) expect(result).toMatchObject({ ok: false, error: { code: 'unreachable' } });
    } finally {
      client.close();
    }
  });

  it('refuses a plain-http issuer URL', () => {
    expect(() => new HttpsIssuerClient({ baseUrl: 'http://127.0.0.1:8443', trustedCaPem: '' })).toThrow(/https/);
  });
});

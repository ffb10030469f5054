// An issuer (or something pretending to be one) that answers badly: the phone reports it as data, never
// crashes, never buffers unbounded answers, and never trusts a body that does not match the contract.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as dckPhone } from '../../../cli/commands/phone.ts';
import { callIssuer, connectToIssuer, type IssuerConnection } from '../../../contracts/issuer-caller.ts';
import { OTP_LIFETIME_MAX_SECONDS } from '../../../contracts/issuer-api.ts';
import {
  fetchIssuerMetadata,
  pollForToken,
  pollTokenOnce,
  startDeviceAuthorization,
} from '../../../phone/phone-client.ts';

let answer: (response: ServerResponse) => void = (response) => response.end();
const server = createServer((_request, response) => answer(response));
let connection: IssuerConnection;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const connected = connectToIssuer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, null);
  if (!connected.ok) throw new Error(connected.message);
  connection = connected.connection;
});
afterAll(async () => {
  connection.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const json = (status: number, body: unknown) => (response: ServerResponse) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

describe('phone client against a hostile issuer', () => {
  it('refuses an answer larger than 1 MiB without buffering it all', async () => {
    answer = (response) => {
      response.writeHead(200);
      response.end(Buffer.alloc(3 * 1024 * 1024, 0x20));
    };
    expect(await startDeviceAuthorization(connection)).toMatchObject({
      ok: false,
      code: 'bad-response',
      message: expect.stringContaining('larger than') as unknown,
    });
  });

  it('refuses an answer that is not JSON', async () => {
    answer = (response) => {
      response.writeHead(200);
      response.end('<html>captive portal</html>');
    };
    expect(await startDeviceAuthorization(connection)).toMatchObject({ ok: false, code: 'bad-response' });
  });

  it('refuses a 200 answer that does not match the contract (extra fields, wrong types, oversized values)', async () => {
    answer = json(200, {
      device_code: 'd',
      user_code: 'WDJB-MJHT',
      verification_uri: 'https://x',
      expires_in: 100_000,
      interval: 5,
    });
    expect(await startDeviceAuthorization(connection)).toMatchObject({ ok: false, code: 'bad-response' });
    answer = json(200, {
      device_code: 'd',
      user_code: 'WDJB-MJHT',
      verification_uri: 'https://x',
      expires_in: 600,
      interval: 5,
      admin: true,
    });
    expect(await startDeviceAuthorization(connection)).toMatchObject({ ok: false, code: 'bad-response' });
    answer = json(200, {
      displayName: 'x'.repeat(5000),
      helpUrl: null,
      issuerBaseUrl: 'https://x',
      caCertificatePem: '',
      otpLength: 8,
    });
    expect(await fetchIssuerMetadata(connection)).toMatchObject({ ok: false, code: 'bad-response' });
  });

  it('passes on a contract error answer as issuer-refused with its code', async () => {
    answer = json(429, { error: 'rate-limited', message: 'Too many requests; wait a minute.' });
    expect(await fetchIssuerMetadata(connection)).toEqual({
      ok: false,
      code: 'issuer-refused',
      message: 'Too many requests; wait a minute.',
      issuerCode: 'rate-limited',
    });
  });

  it('maps the RFC 8628 token errors', async () => {
    const flow = {
      deviceCode: 'd',
      userCode: 'WDJB-MJHT',
      verificationUri: 'https://x',
      intervalSeconds: 5,
      expiresAt: Date.now() + 60_000,
    };
    const oauth = (error: string) => json(400, { error, error_description: error, message: error });
    answer = oauth('authorization_pending');
    expect(await pollTokenOnce(connection, flow, 5)).toEqual({
      ok: true,
      value: { state: 'pending', intervalSeconds: 5, matchNumber: null },
    });
    answer = oauth('slow_down');
    expect(await pollTokenOnce(connection, flow, 5)).toEqual({
      ok: true,
      value: { state: 'pending', intervalSeconds: 10, matchNumber: null },
    });
    answer = oauth('access_denied');
    expect(await pollTokenOnce(connection, flow, 5)).toMatchObject({ ok: false, code: 'access-denied' });
    answer = oauth('expired_token');
    expect(await pollTokenOnce(connection, flow, 5)).toMatchObject({ ok: false, code: 'expired-token' });
  });

  it('takes the number-matching number only as two digits (nothing else reaches the screen or the terminal)', async () => {
    const flow = {
      deviceCode: 'd',
      userCode: 'WDJB-MJHT',
      verificationUri: 'https://x',
      intervalSeconds: 5,
      expiresAt: Date.now() + 60_000,
    };
    const pending = (matchNumber: unknown) =>
      json(400, { error: 'authorization_pending', error_description: 'p', message: 'p', match_number: matchNumber });
    answer = pending('07');
    expect(await pollTokenOnce(connection, flow, 5)).toEqual({
      ok: true,
      value: { state: 'pending', intervalSeconds: 5, matchNumber: '07' },
    });
    for (const hostile of ['7', '123', '0\u001b', ' 07', '٠٧', 7]) {
      answer = pending(hostile);
      expect(await pollTokenOnce(connection, flow, 5), JSON.stringify(hostile)).toMatchObject({
        ok: false,
        code: 'bad-response',
      });
    }
  });

  it('gives up on an issuer that drips its answer, at the overall deadline (not only when idle)', async () => {
    answer = (response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{');
      const timer = setInterval(() => response.write(' '), 100);
      response.on('close', () => clearInterval(timer));
    };
    const dripped = connectToIssuer(connection.baseUrl.href, null, { deadlineMs: 600 });
    if (!dripped.ok) throw new Error(dripped.message);
    const started = Date.now();
    expect(await startDeviceAuthorization(dripped.connection)).toMatchObject({
      ok: false,
      code: 'issuer-unreachable',
      message: expect.stringContaining('no complete answer') as unknown,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    dripped.connection.close();
  });

  it('refuses an enrollment whose password would outlive any OTP (the phone waits for an agent that long)', async () => {
    const enrollment = { enrollmentId: 'e'.repeat(22), state: 'awaiting-phone', otpLength: 8 };
    const fetch = () =>
      callIssuer(connection, 'enrollmentForPhone', { params: { enrollmentId: 'e'.repeat(22) }, bearer: 't' });
    answer = json(200, { ...enrollment, expiresIn: OTP_LIFETIME_MAX_SECONDS + 1 });
    expect(await fetch()).toMatchObject({ ok: false, kind: 'bad-response' });
    answer = json(200, { ...enrollment, expiresIn: OTP_LIFETIME_MAX_SECONDS });
    expect(await fetch()).toMatchObject({ ok: true });
  });

  it('an issuer that answers "pending" for ever: an abort ends the polling as cancelled', async () => {
    answer = json(400, { error: 'authorization_pending', error_description: 'wait', message: 'wait' });
    const flow = { deviceCode: 'd', userCode: 'WDJB-MJHT', verificationUri: 'https://x', intervalSeconds: 1 };
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const result = await pollForToken(connection, { ...flow, expiresAt: Date.now() + 5_000 }, { signal: stop.signal });
    expect(result).toMatchObject({ ok: false, code: 'cancelled' });
  });

  it('reports an unreachable issuer as data', async () => {
    const gone = connectToIssuer('http://127.0.0.1:1', null);
    if (!gone.ok) throw new Error(gone.message);
    expect(await startDeviceAuthorization(gone.connection)).toMatchObject({ ok: false, code: 'issuer-unreachable' });
    gone.connection.close();
  });

  it('refuses issuer addresses that are not https (except loopback http) or carry credentials', () => {
    expect(connectToIssuer('http://issuer.example', null)).toMatchObject({ ok: false, code: 'bad-issuer-url' });
    expect(connectToIssuer('https://user:pw@issuer.example', null)).toMatchObject({
      ok: false,
      code: 'bad-issuer-url',
    });
    expect(connectToIssuer('ftp://issuer.example', null)).toMatchObject({ ok: false, code: 'bad-issuer-url' });
    expect(connectToIssuer('not a url', null)).toMatchObject({ ok: false, code: 'bad-issuer-url' });
  });
});

describe('dck phone prints only safe characters from the issuer', () => {
  it('an issuer message full of escape sequences, C1 controls and bidi overrides reaches the terminal inert', async () => {
    const hostile = 'Busy\u001b]0;pwned\u0007\u001b[2J\u001b[8mhidden\u009b31m \u202eenod\u2066';
    answer = json(429, { error: 'rate-limited', message: hostile });
    const stateDir = mkdtempSync(join(tmpdir(), 'dck-phone-hostile-'));
    const printed: string[] = [];
    const errors = vi.spyOn(console, 'error').mockImplementation((text: string) => {
      printed.push(text);
    });
    const logs = vi.spyOn(console, 'log').mockImplementation((text: string) => {
      printed.push(text);
    });
    try {
      expect(await dckPhone(['start', '--issuer', connection.baseUrl.href, '--state', stateDir])).toBe(1);
      expect(await dckPhone(['start', '--issuer', connection.baseUrl.href, '--state', stateDir, '--json'])).toBe(1);
    } finally {
      errors.mockRestore();
      logs.mockRestore();
      rmSync(stateDir, { recursive: true, force: true });
    }
    expect(printed).toHaveLength(2);
    for (const text of printed) expect(text).not.toMatch(/[\p{Cc}\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u);
    expect(printed[0]).toContain('Busy');
    expect(JSON.parse(printed[1] ?? '')).toMatchObject({ message: hostile });
  });
});

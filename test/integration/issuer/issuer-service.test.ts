// Start-up behaviour: config validation naming the field (in-process and via `dck issuer`), persistence of the
// CA across restarts, and the rate limits on the code-guessing routes (user_code, OTP).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../issuer/config.ts';
import { startIssuer } from '../../../issuer/start-issuer.ts';
import { ISSUER_DATABASE_FILE } from '../../../issuer/storage/sqlite-storage.ts';
import { approve, kioskSignIn, makeCsr, redeem, startHarness, upToRedeem } from './issuer-fixture.ts';

const run = promisify(execFile);
const temp = mkdtempSync(join(tmpdir(), 'dck-issuer-service-'));
afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

async function configErrorOf(config: unknown): Promise<ConfigError> {
  try {
    const issuer = await startIssuer({ dataDir: join(temp, 'never'), port: 0, config });
    await issuer.close();
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the issuer started with a bad config');
}

describe('issuer: configuration', () => {
  it('a bad config stops the service and names the field', async () => {
    expect((await configErrorOf({ otp: { length: 4 } })).field).toBe('otp.length');
    expect((await configErrorOf({ deviceFlow: { codeLifetimeSeconds: 1800 } })).field).toBe(
      'deviceFlow.codeLifetimeSeconds',
    );
    expect((await configErrorOf({ pivTrust: { ocspUrl: 'ftp://x.example' } })).field).toBe('pivTrust.ocspUrl');
    expect((await configErrorOf({ listen: { prot: 1 } })).field).toBe('listen.prot');
    expect((await configErrorOf({ helpUrl: 42 })).message).toContain('helpUrl');
  });

  it('`dck issuer --config` with a bad file exits 1 and names the field', async () => {
    const file = join(temp, 'bad.json');
    writeFileSync(file, JSON.stringify({ derivedCertificate: { lifetimeDays: 0 } }));
    const failure = await run('node', ['bin/dck.js', 'issuer', '--config', file, '--data', join(temp, 'cli')], {
      timeout: 60_000,
    }).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('derivedCertificate.lifetimeDays');
  });

  it('a start that fails half-way (a trust anchor file missing) leaves no database handle open behind it', async () => {
    const dataDir = join(temp, 'half-way');
    const openDatabaseFiles = (): string[] =>
      readdirSync('/proc/self/fd')
        .map((fd) => {
          try {
            return readlinkSync(join('/proc/self/fd', fd));
          } catch {
            return '';
          }
        })
        .filter((target) => target.startsWith(join(dataDir, ISSUER_DATABASE_FILE)));
    const start = startIssuer({
      dataDir,
      port: 0,
      config: { pivTrust: { trustAnchorFiles: [join(temp, 'no-such-anchor.pem')] } },
    });
    await expect(start).rejects.toThrow(/no-such-anchor/);
    expect(openDatabaseFiles()).toEqual([]);
  });

  it('keeps its CA across restarts of the same data directory', async () => {
    const dataDir = join(temp, 'persist');
    const first = await startIssuer({ dataDir, port: 0 });
    const pem = first.caCertificatePem;
    await first.close();
    const second = await startIssuer({ dataDir, port: 0 });
    expect(second.caCertificatePem).toBe(pem);
    await second.close();
  });
});

describe('issuer: rate limit on user_code guesses', () => {
  it('answers 429 rate-limited once a kiosk session guesses too often', async () => {
    const h = await startHarness({
      config: { rateLimits: { codeGuessesPerMinute: 3 }, pkiAuth: { maxUserCodeFailures: 20 } },
    });
    try {
      const session = await kioskSignIn(h.http, await h.card());
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await approve(h.http, session.sessionToken, 'BBBB-BBBB')).status);
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
      expect((await approve(h.http, session.sessionToken, 'BBBB-BBBB')).body.error).toBe('rate-limited');
    } finally {
      await h.close();
    }
  });
});

describe('issuer: rate limit on OTP guesses', () => {
  it('answers 429 once a phone guesses too often, and a refused guess is not counted against the enrollment', async () => {
    const h = await startHarness({ config: { rateLimits: { codeGuessesPerMinute: 3 }, otp: { maxAttempts: 5 } } });
    try {
      const { code, accessToken } = await upToRedeem(h);
      const csr = await makeCsr();
      const wrong = code.otp === '00000000' ? '11111111' : '00000000';
      const answers = [];
      for (let i = 0; i < 5; i += 1) answers.push(await redeem(h.http, accessToken, code.enrollmentId, wrong, csr));
      expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 429, 429]);
      expect(answers[3]!.body.error).toBe('rate-limited');
      expect(answers[3]!.text).not.toContain(wrong);
      // Three wrong tries were recorded, the two refused ones were not: the enrollment is not burned.
      const audit = await h.issuer.storage.listAudit(0, 1000);
      expect(audit.filter((row) => row.event === 'redeem' && row.code === 'otp-wrong')).toHaveLength(3);
      expect(audit.some((row) => row.code === 'enrollment-burned')).toBe(false);
    } finally {
      await h.close();
    }
  });
});

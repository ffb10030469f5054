// `dck issuer --workers 2`: whichever worker a scrape lands on, /metrics answers for the whole service (the sum
// over both workers, collected through the primary), and every worker writes JSON log lines to stdout.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUER_API, OPERATIONS_PATHS } from '../../../../contracts/issuer-routes.ts';
import { parseExposition, sampleValue } from '../operations/prometheus-text.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'dck-metrics-cluster-'));
const lines: string[] = [];
let url = '';
let tlsPem = '';
let stop: () => Promise<void> = () => Promise.resolve();

/** One request on a new connection (node:cluster hands connections to the workers in turn). */
function get(path: string): Promise<{ status: number; worker: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { ca: tlsPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          worker: String(res.headers['x-dck-debug-worker']),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const child = spawn(process.execPath, ['bin/dck.js', 'issuer', '--workers', '2', '--data', dataDir, '--port', '0'], {
    env: { ...process.env, DCK_ISSUER_DEBUG_WORKER_HEADER: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line.startsWith('workers: ')) resolve();
    });
    void exited.then(() => reject(new Error(`dck issuer exited:\n${lines.join('\n')}`)));
  });
  url = /issuer listening on (\S+)/.exec(lines.join('\n'))?.[1] ?? '';
  tlsPem = readFileSync(join(dataDir, 'tls-certificate.pem'), 'utf8');
}, 120_000);
afterAll(async () => {
  await stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('/metrics across workers', () => {
  it('counts the requests of both workers in every scrape, whichever worker answers it', async () => {
    const answeredBy = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      const answer = await get(ISSUER_API.metadata.path);
      expect(answer.status).toBe(200);
      answeredBy.add(answer.worker);
    }
    expect(answeredBy.size).toBe(2);
    const scrapedBy = new Set<string>();
    for (let i = 0; i < 4; i += 1) {
      const scrape = await get(OPERATIONS_PATHS.metrics);
      expect(scrape.status).toBe(200);
      scrapedBy.add(scrape.worker);
      const families = parseExposition(scrape.text);
      expect(
        sampleValue(families, 'dck_issuer_http_request_duration_seconds_count', {
          route: ISSUER_API.metadata.path,
          status: '200',
        }),
      ).toBe(20);
      expect(sampleValue(families, 'dck_issuer_ca_signer_up')).toBe(1);
    }
    expect(scrapedBy.size).toBe(2);
  });

  it('writes one JSON log line per request from each worker', () => {
    const logged = lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { route?: string; pid?: number });
    const pids = new Set(logged.filter((entry) => entry.route === ISSUER_API.metadata.path).map((entry) => entry.pid));
    expect(pids.size).toBe(2);
  });
});

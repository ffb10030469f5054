// The kiosk process under hostile WebSocket frames and on every way it can end: a real browser kiosk (embedded
// issuer with its CA key and database in a temp dir, browser host) in a child process whose TMPDIR is private to
// this test, so "nothing left behind" is checked exactly.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const CHILD = fileURLToPath(new URL('./kiosk-process-child.ts', import.meta.url));
let workDir: string;
let childTmp: string;
let rendererDir: string;
const children: ChildProcessWithoutNullStreams[] = [];

interface RunningChild {
  readonly child: ChildProcessWithoutNullStreams;
  readonly launchUrl: string;
  readonly origin: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'dck-kiosk-process-test-'));
  childTmp = join(workDir, 'tmp');
  rendererDir = join(workDir, 'renderer');
  mkdirSync(childTmp);
  mkdirSync(rendererDir);
  writeFileSync(
    join(rendererDir, 'index.html'),
    '<!doctype html><html lang="en"><head><title>t</title></head><body>fixture</body></html>',
  );
});

afterAll(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
});

function startChild(): Promise<RunningChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, rendererDir], {
    env: { ...process.env, TMPDIR: childTmp },
  });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line !== undefined)
        resolve({ child, exited, ...(JSON.parse(line) as { launchUrl: string; origin: string }) });
    });
    void exited.then(({ code }) =>
      reject(new Error(`kiosk child exited (${code ?? 'signal'}) before it was ready: ${stderr.slice(-2000)}`)),
    );
  });
}

const kioskDirs = (): string[] => readdirSync(childTmp).filter((name) => name.startsWith('dck-kiosk-'));

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function sessionCookie(running: RunningChild): Promise<string> {
  const answer = await get(running.launchUrl);
  expect(answer.status).toBe(303);
  return (answer.setCookie[0] ?? '').split(';')[0] ?? '';
}

/** A masked client frame (RFC 6455 §5.2) with the given first byte; `masked: false` leaves the MASK bit clear. */
function frame(
  firstByte: number,
  payload: Buffer,
  options: { masked?: boolean; declaredLength?: number } = {},
): Buffer {
  const masked = options.masked ?? true;
  const length = options.declaredLength ?? payload.length;
  const header =
    length < 126
      ? Buffer.from([firstByte, (masked ? 0x80 : 0) | length])
      : Buffer.concat([
          Buffer.from([firstByte, (masked ? 0x80 : 0) | 127]),
          (() => {
            const b = Buffer.alloc(8);
            b.writeBigUInt64BE(BigInt(length));
            return b;
          })(),
        ]);
  if (!masked) return Buffer.concat([header, payload]);
  const mask = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([header, mask, Buffer.from(payload.map((byte, index) => byte ^ (mask[index % 4] ?? 0)))]);
}

/** Opens the kiosk WebSocket over a raw TCP socket, sends `bytes`, resolves with the close code the host sent (or null). */
function sendRawFrame(running: RunningChild, cookie: string, bytes: Buffer): Promise<number | null> {
  const { port, hostname: host } = new URL(running.origin);
  return new Promise((resolve, reject) => {
    const socket = connect({ port: Number(port), host });
    let received = Buffer.alloc(0);
    let upgraded = false;
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!upgraded) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!received.subarray(0, 12).toString().includes('101'))
          reject(new Error(`handshake refused: ${received.subarray(0, 40).toString()}`));
        upgraded = true;
        received = received.subarray(end + 4);
        socket.write(bytes);
      }
    });
    socket.on('close', () => resolve(closeCode(received)));
    socket.write(
      [
        'GET /kiosk-ws HTTP/1.1',
        `Host: ${host}:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        `Origin: ${running.origin}`,
        `Cookie: ${cookie}`,
        '',
        '',
      ].join('\r\n'),
    );
  });
}

/** The code of the first close frame among the server's (unmasked) frames; null when none came. */
function closeCode(bytes: Buffer): number | null {
  let offset = 0;
  while (offset + 2 <= bytes.length) {
    const opcode = (bytes[offset] ?? 0) & 0x0f;
    const short = (bytes[offset + 1] ?? 0) & 0x7f;
    const lengthBytes = short === 126 ? 2 : short === 127 ? 8 : 0;
    const length =
      short === 126
        ? bytes.readUInt16BE(offset + 2)
        : short === 127
          ? Number(bytes.readBigUInt64BE(offset + 2))
          : short;
    const start = offset + 2 + lengthBytes;
    if (opcode === 0x8) return length >= 2 ? bytes.readUInt16BE(start) : null;
    offset = start + length;
  }
  return null;
}

function openSocket(running: RunningChild, cookie: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${running.origin.replace('http', 'ws')}/kiosk-ws`, {
      headers: { origin: running.origin, cookie },
    });
    ws.on('message', () => {
      ws.close();
      resolve(true);
    }); // the host pushes the current view first
    ws.on('error', () => resolve(false));
    ws.on('unexpected-response', () => resolve(false));
  });
}

describe('a malformed WebSocket frame ends that connection, not the kiosk', () => {
  // One kiosk process for every frame kind: each case also checks it survived the ones before.
  let running: RunningChild;
  let cookie: string;
  beforeAll(async () => {
    running = await startChild();
    cookie = await sessionCookie(running);
  });
  afterAll(async () => {
    running.child.kill('SIGTERM');
    await running.exited;
  });

  it.each([
    ['a frame over the 16 KiB limit', frame(0x82, Buffer.alloc(0), { declaredLength: 17 * 1024 }), 1009],
    ['a text frame of invalid UTF-8', frame(0x81, Buffer.from([0xc3, 0x28, 0xff])), 1007],
    ['a frame with RSV1 set (no extension was agreed)', frame(0xc2, Buffer.from([1, 2, 3])), 1002],
    ['an unmasked client frame', frame(0x82, Buffer.from([1, 2, 3]), { masked: false }), 1002],
  ])('%s: closed with its code, the host still serves', async (_name, bytes, code) => {
    expect(await sendRawFrame(running, cookie, bytes)).toBe(code);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(running.child.exitCode).toBeNull();
    expect((await get(`${running.origin}/`, { cookie })).status).toBe(200);
    expect(await openSocket(running, cookie)).toBe(true);
  });
});

describe("the kiosk's temp data dir (CA key, server secret, database)", () => {
  it("is 0700 while running and removed on SIGTERM; a dead process's stale dir is swept at start", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid ?? 999_999;
    const stale = join(childTmp, `dck-kiosk-${dead}-stale01`);
    mkdirSync(stale, { mode: 0o700 });
    writeFileSync(join(stale, 'ca-key.pem'), 'left behind by a SIGKILL');
    const running = await startChild();
    const dirs = kioskDirs();
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(new RegExp(`^dck-kiosk-${running.child.pid}-`));
    expect(statSync(join(childTmp, dirs[0] ?? '')).mode & 0o777).toBe(0o700);
    running.child.kill('SIGTERM');
    expect(await running.exited).toMatchObject({ signal: 'SIGTERM' });
    expect(kioskDirs()).toEqual([]);
  });

  it('is removed when the process dies of an uncaught error', async () => {
    const running = await startChild();
    expect(kioskDirs()).toHaveLength(1);
    running.child.stdin.write('throw\n');
    expect(await running.exited).toMatchObject({ code: 1 });
    expect(kioskDirs()).toEqual([]);
  });
});

// The benchmark's raw TLS client (bench/issuer-raw-client.ts) reads answers itself: here against a real TLS
// server on loopback that sends well-formed answers split into pieces, and hostile ones that must fail the
// request rather than be half-read or guessed.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:tls';
import type { Server, TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawTlsClient } from '../../../bench/issuer-raw-client.ts';
import { loadOrCreateLoopbackTls } from '../../../issuer/tls.ts';

type Answer = (socket: TLSSocket, request: string) => void;

const temp = mkdtempSync(join(tmpdir(), 'dck-raw-client-'));
let server: Server;
let url = '';
let certificatePem = '';
let answer: Answer = () => undefined;
const requests: string[] = [];

beforeAll(async () => {
  const tls = await loadOrCreateLoopbackTls(temp, new Date());
  certificatePem = tls.certificatePem;
  server = createServer({ key: tls.keyPem, cert: tls.certificatePem }, (socket) => {
    socket.on('data', (chunk: Buffer) => {
      const request = chunk.toString('latin1');
      requests.push(request);
      answer(socket, request);
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(temp, { recursive: true, force: true });
});

const ok = (body: string) =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('bench raw TLS client', () => {
  it('sends one HTTP/1.1 message and reads an answer that arrives in pieces, on one kept-alive connection', async () => {
    answer = (socket) => {
      const whole = ok('{"state":"completed","name":"Zoë"}');
      socket.write(whole.slice(0, 10));
      setTimeout(() => socket.write(whole.slice(10, 60)), 5);
      setTimeout(() => socket.write(whole.slice(60)), 10);
    };
    const client = rawTlsClient(url, certificatePem, 1);
    try {
      requests.length = 0;
      const first = await client.send<{ state: string; name: string }>('POST', '/x', { json: { a: 1 }, bearer: 'tok' });
      expect(first).toMatchObject({ status: 200, body: { state: 'completed', name: 'Zoë' } });
      const second = await client.send('POST', '/token', { form: { grant_type: 'g', code: 'a b' } });
      expect(second.status).toBe(200);
      expect(requests[0]).toMatch(
        /^POST \/x HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\nauthorization: Bearer tok\r\ncontent-type: application\/json\r\ncontent-length: 7\r\n\r\n\{"a":1\}$/,
      );
      expect(requests[1]).toContain('content-type: application/x-www-form-urlencoded\r\n');
      expect(requests[1]?.endsWith('\r\n\r\ngrant_type=g&code=a+b')).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('fails the request on answers it cannot read exactly', async () => {
    const hostile: Answer[] = [
      (socket) => {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
      },
      (socket) => {
        socket.write('HTTP/1.1 200 OK\r\nconnection: keep-alive\r\n\r\n{}');
      },
      (socket) => {
        socket.write('HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}');
      },
      (socket) => {
        socket.write('garbage\r\n\r\n');
      },
      (socket) => {
        socket.write(`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(20_000)}`);
      },
      (socket) => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 99999999\r\n\r\n');
      },
      (socket) => {
        socket.write(`${ok('{}')}HTTP/1.1 200 OK\r\n`);
      },
      (socket) => {
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{"a"');
      },
      (socket) => {
        socket.destroy();
      },
    ];
    for (const send of hostile) {
      answer = send;
      const client = rawTlsClient(url, certificatePem, 1);
      try {
        await expect(client.send('GET', '/')).rejects.toThrow();
      } finally {
        await client.close();
      }
    }
  });

  it('hands back a non-JSON body as text with its status', async () => {
    answer = (socket) => {
      socket.write('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 9\r\n\r\n<html/>\r\n');
    };
    const client = rawTlsClient(url, certificatePem, 1);
    try {
      expect(await client.send('GET', '/')).toEqual({ status: 502, body: '<html/>\r\n', text: '<html/>\r\n' });
    } finally {
      await client.close();
    }
  });
});

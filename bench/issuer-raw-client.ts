// The cheapest honest HTTPS client for the benchmark: one TLS connection per concurrent caller (kept alive),
// each request written as one HTTP/1.1 message and its answer read to the last byte of its Content-Length.
// It skips what a general client must do (header objects, streams, redirects, chunked bodies): the issuer answers
// every benchmarked request with a Content-Length body, and anything else fails the run instead of being guessed.
import { connect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import type { BenchAnswer, BenchHttpClient, BenchRequest } from './issuer-http-client.ts';

const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_BODY_BYTES = 1024 * 1024;

interface Waiter {
  resolve: (answer: { status: number; text: string }) => void;
  reject: (error: Error) => void;
}

/** One kept-alive TLS connection carrying one request at a time. */
class RawConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: Waiter | null = null;
  private failure: Error | null = null;
  readonly ready: Promise<void>;

  constructor(private readonly socket: TLSSocket) {
    this.ready = new Promise((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed by the issuer')));
  }

  get usable(): boolean {
    return this.failure === null && !this.socket.destroyed;
  }

  request(message: Buffer): Promise<{ status: number; text: string }> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.socket.write(message);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headerEnd = this.buffered.indexOf(HEADER_END);
    if (headerEnd < 0) {
      if (this.buffered.length > MAX_HEADER_BYTES) this.fail(new Error('answer header too large'));
      return;
    }
    const head = this.buffered.toString('latin1', 0, headerEnd);
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(head);
    const length = /\r\ncontent-length: *(\d{1,7})\r?$/im.exec(head);
    if (status === null || length === null || /\r\ntransfer-encoding:/i.test(head)) {
      this.fail(new Error(`answer without a status line or Content-Length: ${head.slice(0, 200)}`));
      return;
    }
    const bodyLength = Number(length[1]);
    if (bodyLength > MAX_BODY_BYTES) {
      this.fail(new Error('answer body too large'));
      return;
    }
    const bodyStart = headerEnd + HEADER_END.length;
    if (this.buffered.length < bodyStart + bodyLength) return;
    if (this.buffered.length > bodyStart + bodyLength) {
      this.fail(new Error('bytes after the answer: the issuer did not wait for a request'));
      return;
    }
    const text = this.buffered.toString('utf8', bodyStart, bodyStart + bodyLength);
    this.buffered = Buffer.alloc(0);
    const waiter = this.waiter;
    this.waiter = null;
    if (/\r\nconnection: *close/i.test(head)) this.fail(new Error('the issuer closed the connection'));
    waiter?.resolve({ status: Number(status[1]), text });
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page, a truncated body): the caller sees the text and the status.
    return text;
  }
}

export function rawTlsClient(baseUrl: string, tlsCertificatePem: string, connections: number): BenchHttpClient {
  const url = new URL(baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  const idle: RawConnection[] = [];
  const all = new Set<RawConnection>();
  const queue: Array<(connection: RawConnection) => void> = [];

  const open = async (): Promise<RawConnection> => {
    const connection = new RawConnection(
      connect({ host, port, ca: tlsCertificatePem, servername: /^[\d.:]+$/.test(host) ? undefined : host }),
    );
    all.add(connection);
    await connection.ready;
    return connection;
  };
  const acquire = (): Promise<RawConnection> => {
    for (let next = idle.pop(); next !== undefined; next = idle.pop()) {
      if (next.usable) return Promise.resolve(next);
      all.delete(next);
    }
    if (all.size < connections) return open();
    return new Promise((resolve) => queue.push(resolve));
  };
  const release = (connection: RawConnection): void => {
    if (!connection.usable) {
      all.delete(connection);
      connection.close();
      return;
    }
    const waiting = queue.shift();
    if (waiting !== undefined) waiting(connection);
    else idle.push(connection);
  };

  return {
    async send<T>(method: 'GET' | 'POST', path: string, options: BenchRequest = {}): Promise<BenchAnswer<T>> {
      let body = '';
      let type = '';
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        type = 'application/json';
      }
      if (options.form !== undefined) {
        body = new URLSearchParams(options.form).toString();
        type = 'application/x-www-form-urlencoded';
      }
      const head =
        `${method} ${path} HTTP/1.1\r\nhost: ${url.host}\r\n` +
        (options.bearer === undefined ? '' : `authorization: Bearer ${options.bearer}\r\n`) +
        (type === '' ? '' : `content-type: ${type}\r\n`) +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
      const connection = await acquire();
      try {
        const { status, text } = await connection.request(Buffer.from(head + body));
        return { status, body: parseBody(text) as T, text };
      } finally {
        release(connection);
      }
    },
    close: () => {
      for (const connection of all) connection.close();
      all.clear();
      idle.length = 0;
      return Promise.resolve();
    },
  };
}

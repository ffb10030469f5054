// HTTPS to the issuer, trusting only the CA the user named (--ca): no global TLS switch, no system store when a
// CA file is given. Bodies are JSON (or form-encoded for RFC 8628), answers are size- and time-limited, and
// every answer is returned as data (status + parsed JSON) for the caller to validate against the contract.
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';

const MAX_ANSWER_BYTES = 1024 * 1024;
/** No byte for this long: the connection is dead. */
const IDLE_TIMEOUT_MS = 15_000;
/** The whole exchange (connect, TLS, request, the complete answer) within this, however the issuer paces it. */
const REQUEST_DEADLINE_MS = 30_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface IssuerConnection {
  readonly baseUrl: URL;
  request(path: string, options: IssuerRequestOptions): Promise<IssuerAnswer>;
  /** Frees pooled sockets (keep-alive), so a test or benchmark process can end. */
  close(): void;
}

export interface IssuerRequestOptions {
  readonly method: 'GET' | 'POST';
  readonly json?: unknown;
  readonly bearer?: string;
}

export type IssuerAnswer =
  | { ok: true; status: number; body: unknown }
  | { ok: false; code: 'issuer-unreachable' | 'bad-response'; message: string };

export interface ConnectOptions {
  /** Overall limit per request; default REQUEST_DEADLINE_MS (tests shorten it). */
  readonly deadlineMs?: number;
}

export type ConnectResult = { ok: true; connection: IssuerConnection } | { ok: false; code: 'bad-issuer-url'; message: string };

/**
 * `caPem`: the only certificate authority trusted for the issuer's TLS certificate (null: the system store).
 * Plain http is accepted only on loopback, for development issuers.
 */
export function connectToIssuer(issuerUrl: string, caPem: string | null, options: ConnectOptions = {}): ConnectResult {
  const deadlineMs = options.deadlineMs ?? REQUEST_DEADLINE_MS;
  let baseUrl: URL;
  try {
    baseUrl = new URL(issuerUrl);
  } catch {
    return { ok: false, code: 'bad-issuer-url', message: 'the issuer address is not a URL' };
  }
  if (baseUrl.username !== '' || baseUrl.password !== '' || baseUrl.search !== '' || baseUrl.hash !== '') {
    return { ok: false, code: 'bad-issuer-url', message: 'the issuer address must not carry credentials, a query or a fragment' };
  }
  const secure = baseUrl.protocol === 'https:';
  if (!secure && !(baseUrl.protocol === 'http:' && LOOPBACK_HOSTS.has(baseUrl.hostname))) {
    return { ok: false, code: 'bad-issuer-url', message: 'the issuer address must use https (http only on loopback)' };
  }
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 8, ...(caPem === null ? {} : { ca: caPem }) })
    : new HttpAgent({ keepAlive: true, maxSockets: 8 });
  return {
    ok: true,
    connection: {
      baseUrl,
      request: (path, requestOptions) => send(baseUrl, path, requestOptions, { agent, secure, deadlineMs }),
      close: () => agent.destroy(),
    },
  };
}

interface Transport {
  readonly agent: HttpAgent | HttpsAgent;
  readonly secure: boolean;
  readonly deadlineMs: number;
}

function send(baseUrl: URL, path: string, options: IssuerRequestOptions, { agent, secure, deadlineMs }: Transport): Promise<IssuerAnswer> {
  const url = new URL(baseUrl.pathname.replace(/\/+$/, '') + path, baseUrl);
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  const open = secure ? httpsRequest : httpRequest;
  return new Promise<IssuerAnswer>((resolvePromise) => {
    // An issuer that drips a byte now and then never trips the idle timeout: this ends the exchange regardless.
    // The first outcome wins; the deadline's is final even if bytes are still arriving.
    const deadline = setTimeout(() => {
      resolve({ ok: false, code: 'issuer-unreachable', message: `no complete answer from ${baseUrl.origin} within ${deadlineMs / 1000} s` });
      request.destroy();
    }, deadlineMs);
    const resolve = (answer: IssuerAnswer): void => {
      clearTimeout(deadline);
      resolvePromise(answer);
    };
    const request = open(url, { method: options.method, headers, agent, timeout: IDLE_TIMEOUT_MS }, (response) => {
      readAnswer(response).then(resolve, (error: unknown) => resolve({ ok: false, code: 'bad-response', message: describe(error) }));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${IDLE_TIMEOUT_MS / 1000} s`)));
    request.on('error', (error) => resolve({ ok: false, code: 'issuer-unreachable', message: `cannot reach ${baseUrl.origin}: ${describe(error)}` }));
    request.end(body);
  });
}

async function readAnswer(response: IncomingMessage): Promise<IssuerAnswer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > MAX_ANSWER_BYTES) {
      response.destroy();
      return { ok: false, code: 'bad-response', message: `the issuer's answer is larger than ${MAX_ANSWER_BYTES} bytes` };
    }
    chunks.push(buffer);
  }
  const status = response.statusCode ?? 0;
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) return { ok: true, status, body: null };
  try {
    return { ok: true, status, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, code: 'bad-response', message: `the issuer answered HTTP ${status} with something that is not JSON` };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as NodeJS.ErrnoException).code;
  return (code === undefined ? error.message : `${code}: ${error.message}`).slice(0, 200);
}

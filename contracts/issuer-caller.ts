// The one bounded caller of the issuer's routes (issuer-routes.ts), for the kiosk (main/issuer-client/), the phone
// (phone/), tests and benchmarks: HTTPS trusting only the CA the caller names (the system store only when it
// names none), plain http on loopback only (development issuers), every exchange bounded in size and time (an
// overall deadline, an idle timeout, an optional abort signal), and every answer checked against the contract
// before anyone uses it. Failures are data, and name what went wrong (status, code, timeout), never a body,
// token or one-time password.
//
//   const connected = connectToIssuer(url, caPem)                       // check .ok
//   const answer = await callIssuer(connected.connection, 'approveUserCode', { body: { userCode }, bearer })
//   if (answer.ok) answer.value.otp ...; else if (answer.kind === 'refused') answer.code ...
import { createHash, randomUUID } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Value } from 'typebox/value';
import { IssuerError, OAuthError, REQUEST_ID_HEADER } from './issuer-api.ts';
import type { AnyIssuerErrorCode } from './issuer-errors.ts';
import { ISSUER_API, routePath } from './issuer-routes.ts';
import type { RouteBody, RouteName, RouteParams, RouteQuery, RouteSuccess } from './issuer-routes.ts';
import { KIOSK_SIGNATURE_HEADER } from './kiosk-signature.ts';
import type { SignedRequestParts } from './kiosk-signature.ts';

const DEFAULT_MAX_ANSWER_BYTES = 1024 * 1024;
/** No byte for this long: the connection is dead. */
const IDLE_TIMEOUT_MS = 15_000;
/** The whole exchange (connect, TLS, request, the complete answer) within this, however the issuer paces it. */
export const DEFAULT_DEADLINE_MS = 30_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface IssuerConnection {
  readonly baseUrl: URL;
  /** One exchange with any path (tests and hostile-input checks); route calls go through callIssuer. */
  request(path: string, options: IssuerRequestOptions): Promise<IssuerAnswer>;
  /** Frees pooled sockets (keep-alive), so a test or benchmark process can end. */
  close(): void;
}

export interface IssuerRequestOptions {
  readonly method: 'GET' | 'POST';
  readonly json?: unknown;
  readonly bearer?: string;
  readonly signal?: AbortSignal;
  /** This exchange's overall limit (a long poll's is its wait plus the ordinary one). */
  readonly deadlineMs?: number;
  /** A kiosk's signer: the x-dck-kiosk-signature header for this exchange (contracts/kiosk-signature.ts). */
  readonly sign?: KioskRequestSigner;
}

/** Makes the signature header's value for a request's method, path and body digest (main/identity/). */
export type KioskRequestSigner = (request: SignedRequestParts) => string;

/** `requestId`: what this caller sent in the request id header; the issuer logs its line for the call under it. */
/** `retryAfterSeconds`: the answer's Retry-After, when it carried a valid one (parseRetryAfter). */
export type IssuerAnswer =
  | { ok: true; status: number; body: unknown; requestId: string; retryAfterSeconds?: number }
  | { ok: false; code: 'issuer-unreachable' | 'bad-response'; message: string; requestId: string };

export interface ConnectOptions {
  /** Overall limit per request; default 30 s. */
  readonly deadlineMs?: number;
  /** Largest answer read; default 1 MiB. */
  readonly maxAnswerBytes?: number;
  /** Refuse plain http even on loopback (the kiosk talks to one issuer, over HTTPS only). */
  readonly httpsOnly?: boolean;
  readonly maxSockets?: number;
}

export type ConnectResult =
  { ok: true; connection: IssuerConnection } | { ok: false; code: 'bad-issuer-url'; message: string };

/**
 * `caPem`: the only certificate authorities trusted for the issuer's TLS certificate (null: the system store).
 * Plain http is accepted only on loopback, for development issuers, and never with `httpsOnly`.
 */
export function connectToIssuer(issuerUrl: string, caPem: string | null, options: ConnectOptions = {}): ConnectResult {
  let baseUrl: URL;
  try {
    baseUrl = new URL(issuerUrl);
  } catch {
    return { ok: false, code: 'bad-issuer-url', message: 'the issuer address is not a URL' };
  }
  if (baseUrl.username !== '' || baseUrl.password !== '' || baseUrl.search !== '' || baseUrl.hash !== '') {
    return {
      ok: false,
      code: 'bad-issuer-url',
      message: 'the issuer address must not carry credentials, a query or a fragment',
    };
  }
  const secure = baseUrl.protocol === 'https:';
  const loopbackHttp =
    baseUrl.protocol === 'http:' && LOOPBACK_HOSTS.has(baseUrl.hostname) && options.httpsOnly !== true;
  if (!secure && !loopbackHttp) {
    return { ok: false, code: 'bad-issuer-url', message: 'the issuer address must use https (http only on loopback)' };
  }
  const maxSockets = options.maxSockets ?? 8;
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets, ...(caPem === null ? {} : { ca: caPem }) })
    : new HttpAgent({ keepAlive: true, maxSockets });
  const transport: Transport = {
    agent,
    secure,
    deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    maxAnswerBytes: options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES,
  };
  return {
    ok: true,
    connection: {
      baseUrl,
      request: (path, requestOptions) => send(baseUrl, path, requestOptions, transport),
      close: () => agent.destroy(),
    },
  };
}

// ─────────────────────────────── typed route calls ───────────────────────────────

/** A part a route has is required, a part it has not is absent: the compiler checks every call against the table. */
type Part<K extends string, T> = [T] extends [undefined] ? { readonly [P in K]?: undefined } : { readonly [P in K]: T };

export type CallInput<N extends RouteName> = Part<'params', RouteParams<N>> &
  Part<'query', RouteQuery<N>> &
  Part<'body', RouteBody<N>> & {
    readonly bearer?: string;
    readonly signal?: AbortSignal;
    readonly deadlineMs?: number;
    readonly sign?: KioskRequestSigner;
  };

export type CallOutcome<N extends RouteName> =
  | { readonly ok: true; readonly status: number; readonly value: RouteSuccess<N>; readonly requestId: string }
  /** The issuer answered with an error of the contract. */
  | {
      readonly ok: false;
      readonly kind: 'refused';
      readonly status: number;
      readonly code: AnyIssuerErrorCode;
      readonly message: string;
      readonly attemptsLeft?: number;
      readonly requestId: string;
      /** The answer's Retry-After (a rate limit, a wait for the agent), when valid: see parseRetryAfter. */
      readonly retryAfterSeconds?: number;
      /** The token endpoint's authorization_pending once a kiosk shows the phone (number matching). */
      readonly matchNumber?: string;
    }
  /** No answer, or one that is not the contract's. */
  | {
      readonly ok: false;
      readonly kind: 'issuer-unreachable' | 'bad-response';
      readonly message: string;
      readonly requestId: string;
      /** An HTTP answer outside the contract (a load balancer's 502 page, say): its status. */
      readonly status?: number;
    };

/** The method, path (params filled, query appended) and JSON body of a call to route `name`, checked against the table. */
export function routeRequest<N extends RouteName>(
  name: N,
  input: CallInput<N>,
): { method: 'GET' | 'POST'; path: string; json?: unknown } {
  const route = ISSUER_API[name];
  const query = input.query === undefined ? '' : `?${new URLSearchParams(queryText(input.query)).toString()}`;
  const path = `${routePath(name, input.params as RouteParams<N>)}${query}`;
  // A POST always carries a JSON body (`{}` when the route reads none): Fastify refuses an empty JSON body.
  return route.method === 'GET'
    ? { method: route.method, path }
    : { method: route.method, path, json: input.body ?? {} };
}

/** Calls route `name`; the success body is checked against the route's schema, an error body against the error shapes. */
export async function callIssuer<N extends RouteName>(
  connection: IssuerConnection,
  name: N,
  input: CallInput<N>,
): Promise<CallOutcome<N>> {
  const route = ISSUER_API[name];
  const { path, ...request } = routeRequest(name, input);
  const answer = await connection.request(path, {
    ...request,
    ...(input.bearer === undefined ? {} : { bearer: input.bearer }),
    ...(input.signal === undefined ? {} : { signal: input.signal }),
    ...(input.deadlineMs === undefined ? {} : { deadlineMs: input.deadlineMs }),
    ...(input.sign === undefined ? {} : { sign: input.sign }),
  });
  const what = `${route.method} ${route.path}`;
  if (!answer.ok)
    return { ok: false, kind: answer.code, message: `${what}: ${answer.message}`, requestId: answer.requestId };
  const { status, body, requestId } = answer;
  const retryAfter = answer.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: answer.retryAfterSeconds };
  if (status === route.success.status) {
    if (Value.Check(route.success.body, body)) return { ok: true, status, value: body as RouteSuccess<N>, requestId };
    return { ok: false, kind: 'bad-response', message: `${what}: the answer does not match the contract`, requestId };
  }
  if (Value.Check(IssuerError, body)) {
    return {
      ok: false,
      kind: 'refused',
      status,
      code: body.error,
      message: body.message,
      requestId,
      ...retryAfter,
      ...(body.attemptsLeft === undefined ? {} : { attemptsLeft: body.attemptsLeft }),
    };
  }
  if (Value.Check(OAuthError, body)) {
    return {
      ok: false,
      kind: 'refused',
      status,
      code: body.error,
      message: body.error_description,
      requestId,
      ...retryAfter,
      ...(body.match_number === undefined ? {} : { matchNumber: body.match_number }),
    };
  }
  return {
    ok: false,
    kind: 'bad-response',
    status,
    message: `${what}: HTTP ${status} that is not an error of the contract`,
    requestId,
  };
}

function queryText(query: object): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) if (value !== undefined) text[key] = String(value);
  return text;
}

// ─────────────────────────────── one exchange ───────────────────────────────

interface Transport {
  readonly agent: HttpAgent | HttpsAgent;
  readonly secure: boolean;
  readonly deadlineMs: number;
  readonly maxAnswerBytes: number;
}

function send(baseUrl: URL, path: string, options: IssuerRequestOptions, transport: Transport): Promise<IssuerAnswer> {
  const { agent, secure, maxAnswerBytes } = transport;
  const deadlineMs = options.deadlineMs ?? transport.deadlineMs;
  const url = new URL(baseUrl.pathname.replace(/\/+$/, '') + path, baseUrl);
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  const requestId = randomUUID();
  const headers: Record<string, string> = { accept: 'application/json', [REQUEST_ID_HEADER]: requestId };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  if (options.sign !== undefined) {
    // The path and bytes exactly as they go on the wire: what the issuer hashes and checks.
    const bodySha256 = createHash('sha256')
      .update(body ?? new Uint8Array(0))
      .digest('base64url');
    headers[KIOSK_SIGNATURE_HEADER] = options.sign({
      method: options.method,
      path: url.pathname + url.search,
      bodySha256,
    });
  }
  const open = secure ? httpsRequest : httpRequest;
  const unreachable = (message: string): IssuerAnswer => ({
    ok: false,
    code: 'issuer-unreachable',
    message,
    requestId,
  });
  return new Promise<IssuerAnswer>((resolvePromise) => {
    // An issuer that drips a byte now and then never trips the idle timeout: this ends the exchange regardless.
    // The first outcome wins; the deadline's is final even if bytes are still arriving.
    const deadline = setTimeout(() => {
      resolve(unreachable(`timed out: no complete answer from ${baseUrl.origin} within ${deadlineMs / 1000} s`));
      request.destroy();
    }, deadlineMs);
    const onAbort = (): void => {
      resolve(unreachable('aborted'));
      request.destroy();
    };
    const resolve = (answer: IssuerAnswer): void => {
      clearTimeout(deadline);
      options.signal?.removeEventListener('abort', onAbort);
      resolvePromise(answer);
    };
    const request = open(url, { method: options.method, headers, agent, timeout: IDLE_TIMEOUT_MS }, (response) => {
      readAnswer(response, maxAnswerBytes).then(
        (read) =>
          resolve(
            read.ok ? { ...read, requestId } : { ok: false, code: 'bad-response', message: read.message, requestId },
          ),
        (error: unknown) => resolve({ ok: false, code: 'bad-response', message: describe(error), requestId }),
      );
    });
    if (options.signal?.aborted === true) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('timeout', () => request.destroy(new Error(`timed out: no byte within ${IDLE_TIMEOUT_MS / 1000} s`)));
    request.on('error', (error) => resolve(unreachable(`cannot reach ${baseUrl.origin}: ${describe(error)}`)));
    request.end(body);
  });
}

type ReadAnswer =
  { ok: true; status: number; body: unknown; retryAfterSeconds?: number } | { ok: false; message: string };

async function readAnswer(response: IncomingMessage, maxAnswerBytes: number): Promise<ReadAnswer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > maxAnswerBytes) {
      response.destroy();
      return { ok: false, message: `the issuer's answer is larger than ${maxAnswerBytes} bytes` };
    }
    chunks.push(buffer);
  }
  const status = response.statusCode ?? 0;
  const retryAfterSeconds = parseRetryAfter(response.headers['retry-after'], Date.now());
  const retryAfter = retryAfterSeconds === null ? {} : { retryAfterSeconds };
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) return { ok: true, status, body: null, ...retryAfter };
  try {
    return { ok: true, status, body: JSON.parse(text) as unknown, ...retryAfter };
  } catch {
    return { ok: false, message: `the issuer answered HTTP ${status} with something that is not JSON` };
  }
}

/** Longest Retry-After text read: an IMF-fixdate is 29 characters; anything much longer is not one. */
const MAX_RETRY_AFTER_LENGTH = 40;
/** RFC 9110 §5.6.7 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (the obsolete date forms are not accepted). */
const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;

/**
 * A Retry-After header (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) as whole seconds from `nowMs`, or null when
 * absent or not one of the two forms (negative, fractional, signed, too long, a date that does not parse). A date in
 * the past is 0. Not capped here: how long a caller is willing to wait is its own rule (e.g. the phone's OTP's end).
 */
export function parseRetryAfter(header: string | string[] | undefined, nowMs: number): number | null {
  if (typeof header !== 'string' || header.length > MAX_RETRY_AFTER_LENGTH) return null;
  const text = header.trim();
  // At most 9 digits: a safe integer whatever it says, and well beyond any wait anyone would follow.
  if (/^[0-9]{1,9}$/.test(text)) return Number(text);
  if (!IMF_FIXDATE.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as NodeJS.ErrnoException).code;
  return (code === undefined ? error.message : `${code}: ${error.message}`).slice(0, 200);
}

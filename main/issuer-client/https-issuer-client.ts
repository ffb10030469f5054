// The kiosk's HTTPS client for the issuer (contracts/issuer-api.ts). Trusts only the CA certificate(s) it is
// given (not the system store: a kiosk talks to one issuer), bounds every call in time and size, checks every
// answer against the contract's schemas, and turns every failure into data (`IssuerCallError`). Error details
// name what went wrong (status, error code, timeout) but never carry request bodies, tokens or OTPs.
import { randomUUID } from 'node:crypto';
import { request, Agent } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TSchema, Static } from 'typebox';
import { Value } from 'typebox/value';
import Type from 'typebox';
import {
  ChallengeResponse,
  DevicePairing,
  EnrollmentCode,
  EnrollmentStatus,
  ISSUER_ERROR_CODES,
  ISSUER_ROUTES,
  IssuerMetadata,
  KioskSession,
  REQUEST_ID_HEADER,
  devicePairingDenyPath,
  enrollmentPath,
} from '../../contracts/issuer-api.ts';
import type { IssuerErrorCode } from '../../contracts/issuer-api.ts';
import { err, ok } from '../../contracts/kiosk-api.ts';
import type { IssuerCall, IssuerCallError, IssuerChallenge, KioskIssuerPort, PkiAuthAnswer } from './issuer-port.ts';
import { PKI_AUTH_ISSUER_NONCE_BYTES } from '../../contracts/pki-auth-message.ts';

export interface IssuerClientOptions {
  /** https://host:port of the issuer (no trailing path needed). */
  readonly baseUrl: string;
  /** PEM certificate(s) the issuer's TLS certificate must chain to. Nothing else is trusted. */
  readonly trustedCaPem: string;
  /** Per-call time limit for ordinary calls. */
  readonly timeoutMs?: number;
  /** Label sent with PKI-AUTH challenges for the issuer's audit log. */
  readonly kioskId?: string;
}

const MAX_RESPONSE_BYTES = 256 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
const KNOWN_ERROR_CODES: ReadonlySet<string> = new Set(ISSUER_ERROR_CODES);

/** A 204 answer: no body (read as null). */
const NoContent = Type.Null();

const toBase64Url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** `requestId`: what this client sent in the request id header; the issuer logs its line for the call under it. */
type RawAnswer = { readonly status: number; readonly body: unknown; readonly requestId?: string };

export class HttpsIssuerClient implements KioskIssuerPort {
  readonly #base: URL;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #kioskId: string | undefined;

  constructor(options: IssuerClientOptions) {
    this.#base = new URL(options.baseUrl);
    if (this.#base.protocol !== 'https:') throw new Error('the issuer URL must use https');
    // keepAlive: PKI-AUTH, approve and the long poll reuse one TLS connection (fewer handshakes on the PIN → QR path).
    this.#agent = new Agent({ ca: options.trustedCaPem, keepAlive: true, maxSockets: 4 });
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#kioskId = options.kioskId;
  }

  close(): void {
    this.#agent.destroy();
  }

  metadata(signal?: AbortSignal): IssuerCall<IssuerMetadata> {
    return this.#call('GET', ISSUER_ROUTES.metadata, { schema: IssuerMetadata, signal });
  }

  async challenge(signal?: AbortSignal): IssuerCall<IssuerChallenge> {
    const body = this.#kioskId === undefined ? {} : { kioskId: this.#kioskId };
    const answer = await this.#call('POST', ISSUER_ROUTES.pkiAuthChallenge, { body, schema: ChallengeResponse, signal });
    if (!answer.ok) return answer;
    const challenge = Buffer.from(answer.value.challenge, 'base64url');
    // The schema already pins the text length; the bytes are checked again where the signed message is built.
    if (challenge.length !== PKI_AUTH_ISSUER_NONCE_BYTES) return err({ code: 'unreachable', detail: 'challenge of the wrong length' });
    return ok({ challengeId: answer.value.challengeId, challenge });
  }

  async answerChallenge(
    answer: PkiAuthAnswer,
    signal?: AbortSignal,
  ): IssuerCall<{ readonly sessionToken: string; readonly commonName: string }> {
    const body = {
      challengeId: answer.challengeId,
      kioskNonce: toBase64Url(answer.kioskNonce),
      certificate: toBase64Url(answer.certificateDer),
      signature: toBase64Url(answer.signature),
    };
    const session = await this.#call('POST', ISSUER_ROUTES.pkiAuthResponse, { body, schema: KioskSession, signal });
    if (!session.ok) return session;
    return ok({ sessionToken: session.value.sessionToken, commonName: session.value.cardholder.commonName });
  }

  showDevicePairing(sessionToken: string, userCode: string, signal?: AbortSignal): IssuerCall<DevicePairing> {
    return this.#call('POST', ISSUER_ROUTES.devicePairings, { body: { userCode }, token: sessionToken, schema: DevicePairing, signal });
  }

  denyDevicePairing(sessionToken: string, pairingId: string, signal?: AbortSignal): IssuerCall<null> {
    return this.#call('POST', devicePairingDenyPath(pairingId), { token: sessionToken, schema: NoContent, signal });
  }

  approveUserCode(sessionToken: string, userCode: string, matchNumber: string, signal?: AbortSignal): IssuerCall<EnrollmentCode> {
    const body = { userCode, matchNumber };
    return this.#call('POST', ISSUER_ROUTES.enrollments, { body, token: sessionToken, schema: EnrollmentCode, signal });
  }

  refreshEnrollment(sessionToken: string, enrollmentId: string, signal?: AbortSignal): IssuerCall<EnrollmentCode> {
    const path = enrollmentPath(ISSUER_ROUTES.enrollmentRefresh, enrollmentId);
    return this.#call('POST', path, { body: {}, token: sessionToken, schema: EnrollmentCode, signal });
  }

  enrollmentStatus(sessionToken: string, enrollmentId: string, waitSeconds: number, signal?: AbortSignal): IssuerCall<EnrollmentStatus> {
    const wait = Math.max(0, Math.min(60, Math.floor(waitSeconds)));
    const path = `${enrollmentPath(ISSUER_ROUTES.enrollmentStatus, enrollmentId)}?waitSeconds=${wait}`;
    // The long poll may legitimately take `wait` seconds: allow that plus the ordinary margin.
    return this.#call('GET', path, { token: sessionToken, schema: EnrollmentStatus, signal, timeoutMs: wait * 1000 + this.#timeoutMs });
  }

  async #call<S extends TSchema>(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; token?: string; schema: S; signal?: AbortSignal | undefined; timeoutMs?: number },
  ): IssuerCall<Static<S>> {
    let answer: RawAnswer;
    try {
      answer = await this.#send(method, path, options);
    } catch (error: unknown) {
      return err({ code: 'unreachable', detail: `${method} ${routeName(path)}: ${describeFailure(error)}` });
    }
    if (answer.status >= 200 && answer.status < 300) {
      if (!Value.Check(options.schema, answer.body)) {
        return err({ code: 'unreachable', detail: `${method} ${routeName(path)}: answer does not match the contract` });
      }
      return ok(answer.body);
    }
    return err(issuerError(answer, `${method} ${routeName(path)}`));
  }

  #send(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; token?: string; signal?: AbortSignal | undefined; timeoutMs?: number },
  ): Promise<RawAnswer> {
    const url = new URL(path, this.#base);
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const requestId = randomUUID();
    const headers: Record<string, string> = { accept: 'application/json', [REQUEST_ID_HEADER]: requestId };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs);
    const signal = options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    return new Promise<RawAnswer>((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.#agent, signal }, (res) => {
        readJson(res).then((answer) => resolve({ ...answer, requestId }), reject);
      });
      req.on('error', (error) => reject(timeout.aborted ? new TimeoutError() : error));
      req.end(payload);
    });
  }
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor() {
    super('timed out');
  }
}

function readJson(res: IncomingMessage): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        res.destroy(new Error('answer too large'));
        return;
      }
      chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () => {
      const status = res.statusCode ?? 0;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text === '') {
        resolve({ status, body: null });
        return;
      }
      try {
        resolve({ status, body: JSON.parse(text) as unknown });
      } catch (error: unknown) {
        // An answer that is not JSON is treated as no answer (the caller maps it to `unreachable`).
        resolve({ status: status >= 200 && status < 300 ? 502 : status, body: { parseError: describeFailure(error) } });
      }
    });
  });
}

/** The issuer's error body, if it is one of the contract's codes; server-side trouble counts as unreachable. */
function issuerError(answer: RawAnswer, what: string): IssuerCallError {
  const body = answer.body;
  const code = typeof body === 'object' && body !== null && 'error' in body ? (body).error : undefined;
  if (answer.status < 500 && typeof code === 'string' && KNOWN_ERROR_CODES.has(code)) {
    return { code: code as IssuerErrorCode, detail: `${what}: HTTP ${answer.status} ${code}${requestNote(answer)}` };
  }
  return { code: 'unreachable', detail: `${what}: HTTP ${answer.status}${requestNote(answer)}` };
}

/** The request id in a failure's detail: the kiosk's log line and the issuer's share it. */
function requestNote(answer: RawAnswer): string {
  return answer.requestId === undefined ? '' : ` (request ${answer.requestId})`;
}

/** A route for messages: ids are cut off so enrollment ids do not end up in logs. */
function routeName(path: string): string {
  return path.replace(/\/enrollments\/[^/?]+/, '/enrollments/:id').replace(/\/device-pairings\/[^/?]+/, '/device-pairings/:id')
    .replace(/\?.*$/, '');
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'failed';
  const code = (error as { code?: unknown }).code;
  if (error.name === 'TimeoutError') return 'timed out';
  if (error.name === 'AbortError') return 'aborted';
  return typeof code === 'string' ? code : error.name;
}

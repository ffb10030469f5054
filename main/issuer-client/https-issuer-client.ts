// The kiosk's client for the issuer: the routes of contracts/issuer-routes.ts through the one bounded caller
// (contracts/issuer-caller.ts). Trusts only the CA certificate(s) it is given (not the system store: a kiosk
// talks to one issuer, over HTTPS only), bounds every call in time and size, checks every answer against the
// contract, and turns every failure into data (`IssuerCallError`). Error details name what went wrong (status,
// error code, timeout, request id) but never carry request bodies, tokens or OTPs.
import { connectToIssuer, callIssuer } from '../../contracts/issuer-caller.ts';
import type { CallInput, CallOutcome, IssuerConnection, KioskRequestSigner } from '../../contracts/issuer-caller.ts';
import type {
  CredentialStatus,
  DevicePairing,
  EnrollmentCode,
  EnrollmentStatus,
  IssuerMetadata,
  PcEnrollmentRequest,
  PcEnrollmentResponse,
  PcRevocationRequest,
  KioskHeartbeat,
} from '../../contracts/issuer-api.ts';
import { ISSUER_ERROR_CODES, ISSUER_ERRORS } from '../../contracts/issuer-errors.ts';
import type { IssuerErrorCode } from '../../contracts/issuer-errors.ts';
import type { RouteName, RouteSuccess } from '../../contracts/issuer-routes.ts';
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
  /**
   * The kiosk's signer (main/identity/kiosk-request-signer.ts): PKI-AUTH, approve and refresh carry its signature,
   * so the issuer knows which registered kiosk asks. Without one the calls go unsigned (an issuer whose tenant says
   * `kioskSignatures: required` refuses them).
   */
  readonly signer?: KioskRequestSigner;
}

const MAX_RESPONSE_BYTES = 256 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
/** The route's own bound on a long poll (EnrollmentStatusQuery.waitSeconds). */
const MAX_WAIT_SECONDS = 60;
const KNOWN_ERROR_CODES: ReadonlySet<string> = new Set(ISSUER_ERROR_CODES);

const toBase64Url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

function isIssuerErrorCode(code: string): code is IssuerErrorCode {
  return KNOWN_ERROR_CODES.has(code);
}

export class HttpsIssuerClient implements KioskIssuerPort {
  readonly #connection: IssuerConnection;
  readonly #timeoutMs: number;
  readonly #kioskId: string | undefined;
  readonly #signed: { sign?: KioskRequestSigner };

  constructor(options: IssuerClientOptions) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // keepAlive (in the caller): PKI-AUTH, approve and the long poll reuse one TLS connection.
    const connected = connectToIssuer(options.baseUrl, options.trustedCaPem, {
      httpsOnly: true,
      deadlineMs: this.#timeoutMs,
      maxAnswerBytes: MAX_RESPONSE_BYTES,
      maxSockets: 4,
    });
    if (!connected.ok) throw new Error(`the issuer URL must use https (${connected.message})`);
    this.#connection = connected.connection;
    this.#kioskId = options.kioskId;
    this.#signed = options.signer === undefined ? {} : { sign: options.signer };
  }

  close(): void {
    this.#connection.close();
  }

  metadata(signal?: AbortSignal): IssuerCall<IssuerMetadata> {
    return this.#call('metadata', { ...withSignal(signal) });
  }

  async challenge(signal?: AbortSignal): IssuerCall<IssuerChallenge> {
    const body = this.#kioskId === undefined ? {} : { kioskId: this.#kioskId };
    const answer = await this.#call('pkiAuthChallenge', { body, ...this.#signed, ...withSignal(signal) });
    if (!answer.ok) return answer;
    const challenge = Buffer.from(answer.value.challenge, 'base64url');
    // The schema already pins the text length; the bytes are checked again where the signed message is built.
    if (challenge.length !== PKI_AUTH_ISSUER_NONCE_BYTES)
      return err({ code: 'unreachable', detail: 'challenge of the wrong length' });
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
    const session = await this.#call('pkiAuthResponse', { body, ...this.#signed, ...withSignal(signal) });
    if (!session.ok) return session;
    return ok({ sessionToken: session.value.sessionToken, commonName: session.value.cardholder.commonName });
  }

  showDevicePairing(sessionToken: string, userCode: string, signal?: AbortSignal): IssuerCall<DevicePairing> {
    return this.#call('devicePairings', { body: { userCode }, bearer: sessionToken, ...withSignal(signal) });
  }

  denyDevicePairing(sessionToken: string, pairingId: string, signal?: AbortSignal): IssuerCall<null> {
    return this.#call('devicePairingDeny', { params: { pairingId }, bearer: sessionToken, ...withSignal(signal) });
  }

  approveUserCode(
    sessionToken: string,
    userCode: string,
    matchNumber: string,
    signal?: AbortSignal,
  ): IssuerCall<EnrollmentCode> {
    return this.#call('approveUserCode', {
      body: { userCode, matchNumber },
      bearer: sessionToken,
      ...this.#signed,
      ...withSignal(signal),
    });
  }

  refreshEnrollment(sessionToken: string, enrollmentId: string, signal?: AbortSignal): IssuerCall<EnrollmentCode> {
    return this.#call('refreshEnrollment', {
      params: { enrollmentId },
      bearer: sessionToken,
      ...this.#signed,
      ...withSignal(signal),
    });
  }

  enrollmentStatus(
    sessionToken: string,
    enrollmentId: string,
    waitSeconds: number,
    signal?: AbortSignal,
  ): IssuerCall<EnrollmentStatus> {
    const wait = Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor(waitSeconds)));
    // The long poll may legitimately take `wait` seconds: allow that plus the ordinary margin.
    return this.#call('enrollmentStatus', {
      params: { enrollmentId },
      query: { waitSeconds: wait },
      bearer: sessionToken,
      deadlineMs: wait * 1000 + this.#timeoutMs,
      ...withSignal(signal),
    });
  }

  /** This PC (main/this-pc/): the signed-in card authorizes this PC's key (CSR) → its certificate and chain. */
  enrollPc(sessionToken: string, request: PcEnrollmentRequest, signal?: AbortSignal): IssuerCall<PcEnrollmentResponse> {
    return this.#call('pcEnrollment', { body: request, bearer: sessionToken, ...withSignal(signal) });
  }

  /** This PC: revoke its credential, the request signed by that credential's key over a fresh challenge. */
  revokePcCredential(
    serialNumberHex: string,
    request: PcRevocationRequest,
    signal?: AbortSignal,
  ): IssuerCall<CredentialStatus> {
    return this.#call('pcRevocation', { params: { serialNumberHex }, body: request, ...withSignal(signal) });
  }

  /** The kiosk's signed heartbeat (main/heartbeat/kiosk-heartbeat.ts). */
  heartbeat(body: KioskHeartbeat, signal?: AbortSignal): IssuerCall<null> {
    return this.#call('kioskHeartbeat', { body, ...withSignal(signal) });
  }

  /**
   * Any route of the table over this client's connection, with the same bounds and error mapping: the agent console
   * (main/console/) signs in and acts through it, reusing the kiosk's challenge() for PKI-AUTH.
   */
  route<N extends RouteName>(name: N, input: CallInput<N>): IssuerCall<RouteSuccess<N>> {
    return this.#call(name, input);
  }

  async #call<N extends RouteName>(name: N, input: CallInput<N>): IssuerCall<RouteSuccess<N>> {
    const answer = await callIssuer(this.#connection, name, input);
    return answer.ok ? ok(answer.value) : err(callError(answer));
  }
}

function withSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}

const STORAGE_UNAVAILABLE_STATUS = ISSUER_ERRORS['storage-unavailable'].status;

/**
 * The issuer's own refusal keeps its code; anything else, and server-side trouble (5xx, whatever its code), is
 * `unreachable`, except the issuer's own 503 `storage-unavailable`: the issuer answered and its database is down,
 * so the kiosk can say it is busy rather than out of reach (issuer-port.ts `issuerDown` treats both alike). The
 * request id is in the detail: the kiosk's log line and the issuer's share it.
 */
function callError<N extends RouteName>(answer: Exclude<CallOutcome<N>, { ok: true }>): IssuerCallError {
  const request = ` (request ${answer.requestId})`;
  if (answer.kind !== 'refused') return { code: 'unreachable', detail: `${answer.message}${request}` };
  const keepsCode =
    answer.status < 500 || (answer.status === STORAGE_UNAVAILABLE_STATUS && answer.code === 'storage-unavailable');
  if (keepsCode && isIssuerErrorCode(answer.code)) {
    return { code: answer.code, detail: `HTTP ${answer.status} ${answer.code}${request}` };
  }
  return { code: 'unreachable', detail: `HTTP ${answer.status} ${answer.code}${request}` };
}

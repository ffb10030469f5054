// The mobile app's steps as functions, so the CLI, the kiosk end-to-end tests and the issuer benchmark drive a
// "phone" the same way: device authorization → poll for the token → redeem (QR + OTP + CSR) → verify chain.
// Every call goes through the route table and the bounded caller (contracts/issuer-caller.ts), which checks each
// answer against the contract before it is used; failures are data with string-literal codes. Secrets (OTP,
// private key, tokens) never appear in messages.
//
//   const { connection } = connectToIssuer(issuer.url, issuer.tlsCertificatePem)   // (check .ok first)
//   const flow = await startDeviceAuthorization(connection)        // show flow.value.userCode at the kiosk
//   const token = await pollForToken(connection, flow.value, { onMatchNumber })  // show the number the kiosk shows
//   const done = await redeemEnrollment(connection, { token: token.value, qrPayload, otp: Buffer.from(otp) })
//   connection.close()
import { callIssuer } from '../contracts/issuer-caller.ts';
import { AFFIRMATION_POLL_SECONDS } from '../contracts/key-fingerprint.ts';
import type { CallOutcome, IssuerConnection } from '../contracts/issuer-caller.ts';
import {
  DEVICE_CODE_GRANT_TYPE,
  type CredentialStatus,
  type DeviceAuthorizationRequest,
  type IssuerMetadata,
} from '../contracts/issuer-api.ts';
import type { AnyIssuerErrorCode } from '../contracts/issuer-errors.ts';
import type { RouteName, RouteSuccess } from '../contracts/issuer-routes.ts';
import { readEnrollmentQr, type QrCodeError } from './qr-code.ts';
import { createKeyAndCsr } from './key-and-csr.ts';
import { verifyIssuedChain, type IssuedCertificateSummary } from './verify-issued-chain.ts';
import { AGENT_WAIT_FAILURES_MAX, retryDelayMs, transientFailure, type RetryNotice } from './agent-wait-retry.ts';

export { connectToIssuer, type IssuerConnection } from '../contracts/issuer-caller.ts';
export type { RetryNotice } from './agent-wait-retry.ts';

export const PHONE_CLIENT_ID = 'dck-phone';

/**
 * Supervised issuance: how often the phone asks while an agent affirms its key (the issuer's Retry-After). It asks
 * for as long as its one-time password still works (the enrollment's `expiresIn`, at most OTP_LIFETIME_MAX_SECONDS):
 * after that the issuer can only refuse.
 */
const AFFIRMATION_POLL_MS = AFFIRMATION_POLL_SECONDS * 1000;

/** What the phone tells the issuer about itself; the kiosk shows it before approving (number matching). */
export type PhoneReport = Pick<
  DeviceAuthorizationRequest,
  'device_platform' | 'device_model' | 'app_name' | 'app_version'
>;

/** How the command-line stand-in describes itself unless told otherwise (`dck phone start --model …`). */
export const STAND_IN_REPORT: PhoneReport = {
  device_platform: 'command line',
  device_model: 'dck phone stand-in',
  app_name: 'dck phone',
  app_version: '0.1',
};
/** RFC 8628 §3.5: each slow_down adds 5 seconds to the polling interval. */
const SLOW_DOWN_STEP_SECONDS = 5;

export type PhoneErrorCode =
  | 'issuer-unreachable'
  | 'bad-response'
  | 'issuer-refused'
  | 'access-denied'
  | 'expired-token'
  | 'poll-timeout'
  | 'enrollment-not-waiting'
  | 'otp-expired-awaiting-agent'
  | 'issuer-lost-awaiting-agent'
  | 'cancelled'
  | QrCodeError
  | 'qr-wrong-enrollment'
  | 'chain-invalid'
  | 'otp-malformed';

export type PhoneResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: PhoneErrorCode; message: string; issuerCode?: AnyIssuerErrorCode; attemptsLeft?: number };

function failure<T>(
  code: PhoneErrorCode,
  message: string,
  extra: { issuerCode?: AnyIssuerErrorCode; attemptsLeft?: number } = {},
): PhoneResult<T> {
  return { ok: false, code, message, ...extra };
}

/** Waits `ms`, or less when `signal` aborts (the caller then checks it). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

const CANCELLED_MESSAGE = 'stopped before the issuer answered: nothing was installed';

/** A route's answer as a PhoneResult: the success body, or the issuer's refusal, or why there was no answer. */
function phoneResult<N extends RouteName>(answer: CallOutcome<N>): PhoneResult<RouteSuccess<N>> {
  if (answer.ok) return { ok: true, value: answer.value };
  if (answer.kind !== 'refused') return failure(answer.kind, answer.message);
  return failure('issuer-refused', answer.message, {
    issuerCode: answer.code,
    ...(answer.attemptsLeft === undefined ? {} : { attemptsLeft: answer.attemptsLeft }),
  });
}

export async function fetchIssuerMetadata(connection: IssuerConnection): Promise<PhoneResult<IssuerMetadata>> {
  return phoneResult(await callIssuer(connection, 'metadata', {}));
}

/** The "app" notification channel: the credential's state and whether it is due for renewal. */
export async function fetchCredentialStatus(
  connection: IssuerConnection,
  serialNumberHex: string,
): Promise<PhoneResult<CredentialStatus>> {
  return phoneResult(await callIssuer(connection, 'credentialStatus', { params: { serialNumberHex } }));
}

export interface DeviceFlow {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUri: string;
  readonly intervalSeconds: number;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export async function startDeviceAuthorization(
  connection: IssuerConnection,
  report: PhoneReport = STAND_IN_REPORT,
  clientId = PHONE_CLIENT_ID,
): Promise<PhoneResult<DeviceFlow>> {
  const answer = phoneResult(
    await callIssuer(connection, 'deviceAuthorization', { body: { client_id: clientId, ...report } }),
  );
  if (!answer.ok) return answer;
  return {
    ok: true,
    value: {
      deviceCode: answer.value.device_code,
      userCode: answer.value.user_code,
      verificationUri: answer.value.verification_uri,
      intervalSeconds: answer.value.interval,
      expiresAt: Date.now() + answer.value.expires_in * 1000,
    },
  };
}

export interface DeviceToken {
  readonly accessToken: string;
  readonly enrollmentId: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export type PollOnce =
  | { state: 'granted'; token: DeviceToken }
  /** `matchNumber`: once a kiosk shows this phone, the number to show so the person can compare (else null). */
  | { state: 'pending'; intervalSeconds: number; matchNumber: string | null };

/** One token request (RFC 8628 §3.4). `pending` carries the interval to wait before the next one. */
export async function pollTokenOnce(
  connection: IssuerConnection,
  flow: DeviceFlow,
  intervalSeconds: number,
  clientId = PHONE_CLIENT_ID,
  signal?: AbortSignal,
): Promise<PhoneResult<PollOnce>> {
  const answer = await callIssuer(connection, 'token', {
    body: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: flow.deviceCode, client_id: clientId },
    ...(signal === undefined ? {} : { signal }),
  });
  if (!answer.ok && answer.kind === 'refused' && answer.status === 400) {
    const matchNumber = answer.matchNumber ?? null;
    if (answer.code === 'authorization_pending')
      return { ok: true, value: { state: 'pending', intervalSeconds, matchNumber } };
    if (answer.code === 'slow_down') {
      return {
        ok: true,
        value: { state: 'pending', intervalSeconds: intervalSeconds + SLOW_DOWN_STEP_SECONDS, matchNumber },
      };
    }
    if (answer.code === 'access_denied') return failure('access-denied', 'the request was denied at the kiosk');
    if (answer.code === 'expired_token')
      return failure('expired-token', 'the device code expired; start again with `dck phone start`');
  }
  const granted = phoneResult(answer);
  if (!granted.ok) return granted;
  return {
    ok: true,
    value: {
      state: 'granted',
      token: {
        accessToken: granted.value.access_token,
        enrollmentId: granted.value.enrollment_id,
        expiresAt: Date.now() + granted.value.expires_in * 1000,
      },
    },
  };
}

export interface PollOptions {
  /** Give up after this many milliseconds (default: until the device code expires). */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called before each wait, e.g. to print "waiting for the kiosk…". */
  readonly onPending?: (intervalSeconds: number) => void;
  /** Called when a kiosk shows this phone (and again if another kiosk sign-in does): show this number. */
  readonly onMatchNumber?: (matchNumber: string) => void;
  /** Stops the polling: the result is `cancelled`. */
  readonly signal?: AbortSignal;
}

/** Polls at the issuer's interval (growing on slow_down) until the kiosk approves, denies or the code expires. */
export async function pollForToken(
  connection: IssuerConnection,
  flow: DeviceFlow,
  options: PollOptions = {},
): Promise<PhoneResult<DeviceToken>> {
  const sleep = options.sleep ?? ((ms: number) => pause(ms, options.signal));
  const deadline = Math.min(flow.expiresAt, Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY));
  let interval = flow.intervalSeconds;
  let shownNumber: string | null = null;
  for (;;) {
    const once = await pollTokenOnce(connection, flow, interval, PHONE_CLIENT_ID, options.signal);
    // An aborted exchange reads as "unreachable": say what happened instead.
    if (options.signal?.aborted === true) return failure('cancelled', CANCELLED_MESSAGE);
    if (!once.ok) return once;
    if (once.value.state === 'granted') return { ok: true, value: once.value.token };
    interval = once.value.intervalSeconds;
    const { matchNumber } = once.value;
    if (matchNumber !== null && matchNumber !== shownNumber) {
      shownNumber = matchNumber;
      options.onMatchNumber?.(matchNumber);
    }
    if (Date.now() + interval * 1000 > deadline) {
      return failure(
        Date.now() + interval * 1000 > flow.expiresAt ? 'expired-token' : 'poll-timeout',
        "the kiosk has not approved this phone's code in time",
      );
    }
    options.onPending?.(interval);
    await sleep(interval * 1000);
  }
}

export interface Redemption {
  readonly certificatePem: string;
  readonly chainPem: readonly string[];
  readonly privateKeyPkcs8: Uint8Array;
  readonly summary: IssuedCertificateSummary;
}

/**
 * Scanned QR + typed OTP → a verified derived certificate. `otp` is read from the Buffer only to build the
 * request body; the caller zero-fills it afterwards. The QR must name the issuer of `connection` and the
 * enrollment the token was granted for.
 */
export async function redeemEnrollment(
  connection: IssuerConnection,
  input: {
    token: DeviceToken;
    qrPayload: string;
    otp: Buffer;
    /** The issuer's CA to verify the returned chain against; fetched from its metadata when absent. */
    trustedCaPem?: string;
    /** This phone's own stable id: a renewal for the same card and device supersedes the older credential. */
    deviceId?: string;
    /** Supervised issuance: told once, with the issuer's sentence and the key's fingerprint, while an agent must affirm. */
    onAffirmationPending?: (message: string) => void;
    /** While waiting for the agent: a rate limit or a network failure, and how long until the phone asks again. */
    onRetrying?: (notice: RetryNotice) => void;
    /** The jitter's source (tests); default Math.random. */
    random?: () => number;
    sleep?: (ms: number) => Promise<void>;
    /** Stops the redemption (and the wait for the agent): the result is `cancelled`, the new key wiped. */
    signal?: AbortSignal;
  },
): Promise<PhoneResult<Redemption>> {
  const qr = readEnrollmentQr(input.qrPayload, connection.baseUrl.href);
  if (!qr.ok) return failure(qr.code, qr.message);
  if (qr.value.enrollmentId !== input.token.enrollmentId) {
    return failure(
      'qr-wrong-enrollment',
      'this QR code is for another enrollment than the one the kiosk approved for this phone',
    );
  }
  // Fetching the enrollment first tells the kiosk the phone has scanned ("now type the password"), and stops here
  // when the code is already dead (no key made for nothing).
  const fetched = phoneResult(
    await callIssuer(connection, 'enrollmentForPhone', {
      params: { enrollmentId: qr.value.enrollmentId },
      bearer: input.token.accessToken,
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    }),
  );
  if (input.signal?.aborted === true) return failure('cancelled', CANCELLED_MESSAGE);
  if (!fetched.ok) return fetched;
  if (fetched.value.state !== 'awaiting-phone') {
    return failure(
      'enrollment-not-waiting',
      `this QR code no longer works (${fetched.value.state}): ask the kiosk for a new one`,
    );
  }
  let trustedCaPem = input.trustedCaPem;
  if (trustedCaPem === undefined) {
    const metadata = await fetchIssuerMetadata(connection);
    if (!metadata.ok) return metadata;
    trustedCaPem = metadata.value.caCertificatePem;
  }
  const keyAndCsr = await createKeyAndCsr();
  const redeem = () =>
    callIssuer(connection, 'redeemEnrollment', {
      params: { enrollmentId: qr.value.enrollmentId },
      bearer: input.token.accessToken,
      ...(input.signal === undefined ? {} : { signal: input.signal }),
      body: {
        otp: input.otp.toString('utf8'),
        csr: keyAndCsr.csrPem,
        ...(input.deviceId === undefined ? {} : { device: { id: input.deviceId } }),
      },
    });
  const redeemed = await redeemWaitingForAgent(redeem, Date.now() + fetched.value.expiresIn * 1000, input);
  if (!redeemed.ok) {
    keyAndCsr.privateKeyPkcs8.fill(0);
    return redeemed;
  }
  const check = await verifyIssuedChain({
    certificatePem: redeemed.value.certificatePem,
    chainPem: redeemed.value.chainPem,
    trustedCaPem,
    publicKeySpki: keyAndCsr.publicKeySpki,
  });
  if (!check.ok) {
    keyAndCsr.privateKeyPkcs8.fill(0);
    return failure(check.code, check.message);
  }
  return {
    ok: true,
    value: {
      certificatePem: redeemed.value.certificatePem,
      chainPem: redeemed.value.chainPem,
      privateKeyPkcs8: keyAndCsr.privateKeyPkcs8,
      summary: check.summary,
    },
  };
}

/** What the waiting phone is told, and how it waits (redeemEnrollment's input). */
interface AgentWait {
  readonly onAffirmationPending?: (message: string) => void;
  readonly onRetrying?: (notice: RetryNotice) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly random?: () => number;
}

/**
 * Supervised issuance: the issuer waits for a help-desk agent to affirm this key's fingerprint. The phone shows the
 * issuer's sentence (with the fingerprint) once and asks again with the same key until the agent has, until its
 * one-time password runs out at `otpExpiresAt` (epoch ms; then the enrollment can no longer complete, so waiting
 * on is pointless), or until the signal aborts. Once it waits, a rate limit or a network failure is asked again
 * (agent-wait-retry.ts) rather than ending the person's enrollment; any other answer ends the wait as it is.
 */
async function redeemWaitingForAgent(
  redeem: () => Promise<CallOutcome<'redeemEnrollment'>>,
  otpExpiresAt: number,
  wait: AgentWait,
): Promise<PhoneResult<RouteSuccess<'redeemEnrollment'>>> {
  const sleep = wait.sleep ?? ((ms: number) => pause(ms, wait.signal));
  const cancelled = () => wait.signal?.aborted === true;
  let answer = await redeem();
  let waited = false;
  let failuresInARow = 0;
  while (!cancelled() && !answer.ok) {
    let delayMs: number;
    if (answer.kind === 'refused' && answer.code === 'affirmation-pending') {
      if (!waited) wait.onAffirmationPending?.(answer.message);
      waited = true;
      failuresInARow = 0;
      delayMs = AFFIRMATION_POLL_MS;
    } else {
      // Before the wait began a failure is the redemption's own (nothing to keep alive); after, a blip is retried.
      const transient = waited ? transientFailure(answer) : null;
      if (transient === null) break;
      failuresInARow += 1;
      if (failuresInARow >= AGENT_WAIT_FAILURES_MAX) return agentWaitLost(failuresInARow, transient.reason);
      delayMs = retryDelayMs(transient, failuresInARow, Date.now(), otpExpiresAt, wait.random ?? Math.random);
      wait.onRetrying?.({ reason: transient.reason, delayMs, failuresInARow });
    }
    if (Date.now() + delayMs >= otpExpiresAt) return agentWaitExpired();
    await sleep(delayMs);
    if (cancelled()) break;
    answer = await redeem();
  }
  // An aborted exchange reads as "unreachable": say what happened instead.
  if (cancelled()) return failure('cancelled', CANCELLED_MESSAGE);
  // The issuer's clock ends the password a moment before the phone's estimate (the answer's travel time).
  if (waited && !answer.ok && answer.kind === 'refused' && answer.code === 'otp-expired') return agentWaitExpired();
  return phoneResult(answer);
}

function agentWaitExpired<T>(): PhoneResult<T> {
  return failure(
    'otp-expired-awaiting-agent',
    'the one-time password expired while waiting for the help-desk agent: start again at the kiosk',
  );
}

function agentWaitLost<T>(failures: number, reason: string): PhoneResult<T> {
  return failure(
    'issuer-lost-awaiting-agent',
    `the issuer failed ${failures} times in a row while waiting for the help-desk agent (last: ${reason}): start again at the kiosk`,
  );
}

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
import { retryBudget, transientFailure, type RetryNotice, type RetryStep } from './issuer-retry.ts';

export { connectToIssuer, type IssuerConnection } from '../contracts/issuer-caller.ts';
export type { RetryNotice } from './issuer-retry.ts';

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
  return readTokenAnswer(await askForToken(connection, flow, clientId, signal), intervalSeconds);
}

function askForToken(
  connection: IssuerConnection,
  flow: DeviceFlow,
  clientId: string,
  signal: AbortSignal | undefined,
): Promise<CallOutcome<'token'>> {
  return callIssuer(connection, 'token', {
    body: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: flow.deviceCode, client_id: clientId },
    ...(signal === undefined ? {} : { signal }),
  });
}

/** The token endpoint's answer: granted, still pending (RFC 8628 §3.5), or why not. */
function readTokenAnswer(answer: CallOutcome<'token'>, intervalSeconds: number): PhoneResult<PollOnce> {
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
  /** A rate limit, a server error or a network failure, and how long until the phone asks again. */
  readonly onRetrying?: (notice: RetryNotice) => void;
  /** The jitter's source (tests); default Math.random. */
  readonly random?: () => number;
  /** Stops the polling: the result is `cancelled`. */
  readonly signal?: AbortSignal;
}

/**
 * Polls at the issuer's interval (growing on slow_down) until the kiosk approves, denies or the code expires. A rate
 * limit, a server error or a network failure is asked again after (issuer-retry.ts), within the device code's life;
 * after RETRY_FAILURES_MAX in a row it ends with `issuer-unreachable`, naming the last reason.
 */
export async function pollForToken(
  connection: IssuerConnection,
  flow: DeviceFlow,
  options: PollOptions = {},
): Promise<PhoneResult<DeviceToken>> {
  const sleep = options.sleep ?? ((ms: number) => pause(ms, options.signal));
  const deadline = Math.min(flow.expiresAt, Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY));
  // `nextAskAt`: when the phone would have asked next; at or past the code's end the code, not the timeout, ran out.
  const notInTime = (nextAskAt: number): PhoneResult<DeviceToken> =>
    failure(
      nextAskAt >= flow.expiresAt ? 'expired-token' : 'poll-timeout',
      "the kiosk has not approved this phone's code in time",
    );
  const budget = retryBudget(deadline, options.random);
  let interval = flow.intervalSeconds;
  let shownNumber: string | null = null;
  for (;;) {
    const answer = await askForToken(connection, flow, PHONE_CLIENT_ID, options.signal);
    // An aborted exchange reads as "unreachable": say what happened instead.
    if (options.signal?.aborted === true) return failure('cancelled', CANCELLED_MESSAGE);
    const transient = transientFailure(answer);
    let delayMs: number;
    if (transient === null) {
      budget.answered();
      const once = readTokenAnswer(answer, interval);
      if (!once.ok) return once;
      if (once.value.state === 'granted') return { ok: true, value: once.value.token };
      interval = once.value.intervalSeconds;
      const { matchNumber } = once.value;
      if (matchNumber !== null && matchNumber !== shownNumber) {
        shownNumber = matchNumber;
        options.onMatchNumber?.(matchNumber);
      }
      if (Date.now() + interval * 1000 > deadline) return notInTime(Date.now() + interval * 1000);
      options.onPending?.(interval);
      delayMs = interval * 1000;
    } else {
      const step = budget.afterFailure(transient, Date.now());
      if (step.kind === 'past-deadline') return notInTime(deadline);
      if (step.kind === 'too-many') return givenUp(step, "while waiting for the kiosk's approval", POLL_AGAIN);
      options.onRetrying?.(step.notice);
      delayMs = step.notice.delayMs;
    }
    // Aborted meanwhile: the next exchange ends at once, and the check above says so.
    await sleep(delayMs);
  }
}

const POLL_AGAIN = 'the code still works until it expires: `dck phone poll` again once the issuer is back';

/** The asks failed RETRY_FAILURES_MAX times in a row: the issuer is gone for now; say so, and what to do. */
function givenUp<T>(
  step: Extract<RetryStep, { kind: 'too-many' }>,
  doing: string,
  whatNext: string,
  code: PhoneErrorCode = 'issuer-unreachable',
): PhoneResult<T> {
  return failure(
    code,
    `the issuer failed ${step.failuresInARow} times in a row ${doing} (last: ${step.reason}): ${whatNext}`,
  );
}

export interface Redemption {
  readonly certificatePem: string;
  readonly chainPem: readonly string[];
  readonly privateKeyPkcs8: Uint8Array;
  readonly summary: IssuedCertificateSummary;
  /** The issuer had issued it already: its first answer was lost on the way, and it sent the same one again. */
  readonly repeatedDelivery: boolean;
}

/** A retry of the redeem: `waitingForAgent` once the issuer has said a help-desk agent must affirm the key. */
export type RedeemRetryNotice = RetryNotice & { readonly waitingForAgent: boolean };

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
    /** A rate limit, a server error or a network failure, and how long until the phone asks again. */
    onRetrying?: (notice: RedeemRetryNotice) => void;
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
  const redeemed = await redeemWithRetries(redeem, Date.now() + fetched.value.expiresIn * 1000, input);
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
      repeatedDelivery: redeemed.value.repeatedDelivery === true,
    },
  };
}

/** What the phone is told while it redeems, and how it waits (redeemEnrollment's input). */
interface RedeemWait {
  readonly onAffirmationPending?: (message: string) => void;
  readonly onRetrying?: (notice: RedeemRetryNotice) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly signal?: AbortSignal;
  readonly random?: () => number;
}

/**
 * The redeem, asked again through a moment of trouble until the one-time password runs out at `otpExpiresAt` (epoch
 * ms; then the enrollment can no longer complete) or the signal aborts. A rate limit, a server error or a failed
 * connection is asked again (issuer-retry.ts) with the same OTP and key: if the issuer issued before the answer was
 * lost, it sends the same certificate again (issuer/enrollment/redeliver-issued.ts), so nothing is issued twice.
 * Supervised issuance: while the issuer waits for a help-desk agent to affirm this key's fingerprint, the phone shows
 * the issuer's sentence (with the fingerprint) once and asks again at the agent's pace. Any other answer is final.
 */
async function redeemWithRetries(
  redeem: () => Promise<CallOutcome<'redeemEnrollment'>>,
  otpExpiresAt: number,
  wait: RedeemWait,
): Promise<PhoneResult<RouteSuccess<'redeemEnrollment'>>> {
  const sleep = wait.sleep ?? ((ms: number) => pause(ms, wait.signal));
  const cancelled = () => wait.signal?.aborted === true;
  const budget = retryBudget(otpExpiresAt, wait.random);
  let answer = await redeem();
  let waitingForAgent = false;
  let retried = false;
  while (!cancelled() && !answer.ok) {
    let delayMs: number;
    if (answer.kind === 'refused' && answer.code === 'affirmation-pending') {
      if (!waitingForAgent) wait.onAffirmationPending?.(answer.message);
      waitingForAgent = true;
      budget.answered();
      delayMs = AFFIRMATION_POLL_MS;
      if (Date.now() + delayMs >= otpExpiresAt) return agentWaitExpired();
    } else {
      const transient = transientFailure(answer);
      if (transient === null) break;
      const step = budget.afterFailure(transient, Date.now());
      if (step.kind === 'past-deadline') return waitingForAgent ? agentWaitExpired() : redeemExpired();
      if (step.kind === 'too-many') {
        return waitingForAgent
          ? givenUp(step, 'while waiting for the help-desk agent', KIOSK_AGAIN, 'issuer-lost-awaiting-agent')
          : givenUp(step, 'while redeeming', `nothing was installed; ${KIOSK_AGAIN}`);
      }
      wait.onRetrying?.({ ...step.notice, waitingForAgent });
      retried = true;
      delayMs = step.notice.delayMs;
    }
    await sleep(delayMs);
    if (cancelled()) break;
    answer = await redeem();
  }
  // An aborted exchange reads as "unreachable": say what happened instead.
  if (cancelled()) return failure('cancelled', CANCELLED_MESSAGE);
  if (answer.ok || answer.kind !== 'refused') return phoneResult<'redeemEnrollment'>(answer);
  // The issuer's clock ends the password a moment before the phone's estimate (the answer's travel time).
  if (waitingForAgent && answer.code === 'otp-expired') return agentWaitExpired();
  if (retried && answer.code === 'enrollment-completed') return lostAndNotSentAgain(answer.code);
  return phoneResult<'redeemEnrollment'>(answer);
}

const KIOSK_AGAIN = 'start again at the kiosk';

function agentWaitExpired<T>(): PhoneResult<T> {
  return failure(
    'otp-expired-awaiting-agent',
    'the one-time password expired while waiting for the help-desk agent: start again at the kiosk',
  );
}

function redeemExpired<T>(): PhoneResult<T> {
  return failure(
    'issuer-unreachable',
    'the issuer did not answer before the one-time password expired: nothing was installed; start again at the kiosk',
  );
}

/** A retry refused `enrollment-completed`: an earlier ask was issued, and the issuer no longer sends it again. */
function lostAndNotSentAgain<T>(issuerCode: 'enrollment-completed'): PhoneResult<T> {
  return failure(
    'issuer-refused',
    'the issuer issued a certificate for an earlier ask whose answer was lost, and no longer sends it again: nothing was installed; start again at the kiosk',
    { issuerCode },
  );
}

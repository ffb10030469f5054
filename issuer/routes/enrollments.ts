// Kiosk: approve a phone's user_code for the authenticated card (→ enrollment with QR payload + OTP), refresh the
// QR/OTP, watch the enrollment (long-poll or SSE). Phone: redeem the enrollment with OTP + CSR.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ApproveRequest, EnrollmentCode, EnrollmentIdParams, EnrollmentStatus, EnrollmentStatusQuery, ISSUER_ROUTES,
  IssuerError, PhoneEnrollment, RedeemRequest, RedeemResponse, formatQrPayload,
} from '../../contracts/issuer-api.ts';
import type { EnrollmentState } from '../../contracts/issuer-api.ts';
import { checkCsr } from '../ca/csr.ts';
import { issueDerivedCertificate } from '../ca/derived-certificate.ts';
import { derToPem } from '../ca/pem.ts';
import { auditEntry } from '../issuer-context.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { bearerToken, sendError, sendRateLimited } from '../http-errors.ts';
import { FixedWindowRateLimiter } from '../rate-limit.ts';
import { cardLifetimeRefusal, recheckCardStatus } from '../card-status.ts';
import { approvalPairingRefusal, shownDetails } from '../pairing/device-pairing.ts';
import { findDeviceByUserCode } from '../pairing/user-code-guess.ts';
import { hashToken, newOtp, newRecordId } from '../secrets.ts';
import type { DeviceAuthorizationRecord, EnrollmentRecord, KioskSessionRecord } from '../storage/issuer-storage.ts';

type ErrorCode = Parameters<typeof sendError>[2];

const CARD_REVOKED_MESSAGE = 'The card\'s certificate has been revoked: this enrollment has ended.';

async function kioskSession(ctx: IssuerContext, request: FastifyRequest): Promise<KioskSessionRecord | null> {
  const token = bearerToken(request.headers.authorization);
  if (token === null) return null;
  const session = await ctx.storage.findKioskSessionByTokenHash(hashToken(token));
  return session !== null && session.expiresAt > ctx.now().getTime() ? session : null;
}

async function deviceForAccessToken(ctx: IssuerContext, request: FastifyRequest): Promise<DeviceAuthorizationRecord | null> {
  const token = bearerToken(request.headers.authorization);
  if (token === null) return null;
  const device = await ctx.storage.findDeviceAuthorizationByAccessTokenHash(hashToken(token));
  // A denied device keeps its token so it learns *why* (burned enrollment); it can no longer redeem anything.
  if (device === null || device.accessTokenExpiresAt === null) return null;
  return device.accessTokenExpiresAt > ctx.now().getTime() ? device : null;
}

function publicState(enrollment: EnrollmentRecord, now: number): EnrollmentState {
  if (enrollment.status === 'completed') return 'completed';
  // A revoked card's enrollment is over like a burned one; the kiosk and phone learn why from the error code.
  if (enrollment.status === 'burned' || enrollment.status === 'card-revoked') return 'burned';
  return now >= enrollment.otpExpiresAt ? 'expired' : 'awaiting-phone';
}

async function statusOf(ctx: IssuerContext, enrollment: EnrollmentRecord): Promise<EnrollmentStatus> {
  const status: EnrollmentStatus = {
    enrollmentId: enrollment.id, state: publicState(enrollment, ctx.now().getTime()), phoneSeen: phoneSeen(enrollment),
  };
  if (enrollment.derivedCertificateSerialHex !== null) {
    const certificate = await ctx.storage.findDerivedCertificate(enrollment.derivedCertificateSerialHex);
    status.certificateSerialHex = enrollment.derivedCertificateSerialHex;
    if (certificate !== null) status.certificateNotAfter = new Date(certificate.notAfter).toISOString();
  }
  return status;
}

/**
 * The phone holds this QR code: it fetched the enrollment after scanning it, or a password try for it reached the
 * issuer (a wrong one; a right one completes).
 */
function phoneSeen(enrollment: EnrollmentRecord): boolean {
  return enrollment.phoneFetchedAt !== null || enrollment.otpFailures > 0;
}

/** What a long poll without `since` waits to change: the state, and whether the phone has been seen. */
function progressKey(enrollment: EnrollmentRecord, now: number): string {
  return `${publicState(enrollment, now)}:${phoneSeen(enrollment)}`;
}

/** A fresh OTP for an enrollment: returned once in clear, stored as a keyed hash. */
function freshOtp(ctx: IssuerContext, enrollmentId: string): { otp: string; otpHash: string; expiresAt: number } {
  const otp = newOtp(ctx.config.otp.length);
  return {
    otp, otpHash: ctx.codes.hash('otp', enrollmentId, otp),
    expiresAt: ctx.now().getTime() + ctx.config.otp.lifetimeSeconds * 1000,
  };
}

function codeFor(ctx: IssuerContext, enrollmentId: string, otp: string): EnrollmentCode {
  return {
    enrollmentId, qrPayload: formatQrPayload(ctx.baseUrl, enrollmentId), otp, expiresIn: ctx.config.otp.lifetimeSeconds,
  };
}

/** The kiosk's own enrollment, or an error answer already sent. */
async function kioskEnrollment(
  ctx: IssuerContext, request: FastifyRequest<{ Params: EnrollmentIdParams }>, reply: FastifyReply,
): Promise<{ session: KioskSessionRecord; enrollment: EnrollmentRecord } | null> {
  const session = await kioskSession(ctx, request);
  if (session === null) {
    await sendError(reply, 401, 'invalid-session', 'Sign in with the card again (no or expired kiosk session).');
    return null;
  }
  const enrollment = await ctx.storage.findEnrollment(request.params.enrollmentId);
  if (enrollment === null || enrollment.cardId !== session.cardId) {
    await sendError(reply, 404, 'enrollment-unknown', 'No such enrollment for this card.');
    return null;
  }
  return { session, enrollment };
}

export function registerEnrollmentRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  // user_code and OTP guesses: counted per kiosk session / per phone (the record the bearer token found, so the
  // token is hashed once), and per address for requests without a valid token. Checked before anything is
  // recorded, so a refused guess changes nothing.
  const codeGuesses = new FixedWindowRateLimiter(ctx.config.rateLimits.codeGuessesPerMinute, 60_000);
  const guessAllowed = (reply: FastifyReply, key: string): boolean => {
    const verdict = codeGuesses.take(key);
    if (!verdict.allowed) sendRateLimited(reply, false, verdict.retryAfterSeconds);
    return verdict.allowed;
  };

  app.post<{ Body: ApproveRequest }>(ISSUER_ROUTES.enrollments, {
    schema: {
      summary: 'Kiosk: approve the phone\'s user_code for the signed-in card; creates the enrollment (QR + OTP)',
      body: ApproveRequest,
      response: {
        201: EnrollmentCode, 400: IssuerError, 401: IssuerError, 403: IssuerError, 404: IssuerError, 409: IssuerError,
        410: IssuerError, 422: IssuerError, 429: IssuerError, 503: IssuerError,
      },
    },
  }, async (request, reply) => {
    const session = await kioskSession(ctx, request);
    if (!guessAllowed(reply, session === null ? `ip:${request.ip}` : `session:${session.id}`)) return reply;
    if (session === null) return sendError(reply, 401, 'invalid-session', 'Sign in with the card again (no or expired kiosk session).');
    const fail = async (status: number, code: ErrorCode, message: string, details: Record<string, string | null> = {}) => {
      await ctx.audit('approve', 'failure', code, { sessionId: session.id, cardId: session.cardId, ...details });
      return sendError(reply, status, code, message);
    };
    const found = await findDeviceByUserCode(ctx, session, request.body.userCode, 'approve');
    if (!found.ok) return sendError(reply, found.status, found.code, found.message);
    const { device } = found;
    const deviceDetails = { deviceAuthorizationId: device.id };
    // A code that exists was not a wrong guess: whatever refuses it now gives the guess back.
    const refuse = async (status: number, code: ErrorCode, message: string) => {
      await found.release();
      return fail(status, code, message, deviceDetails);
    };
    const nowDate = ctx.now();
    const now = nowDate.getTime();
    if (device.status !== 'pending') return refuse(409, 'user-code-already-used', 'That code was already used.');
    if (now >= device.expiresAt) return refuse(410, 'user-code-expired', 'That code has expired: start again on the phone.');
    // Number matching: only the phone this sign-in showed, with the number the person confirmed.
    const unpaired = approvalPairingRefusal(ctx, session, device, request.body);
    if (unpaired !== null) return refuse(unpaired.status, unpaired.code, unpaired.message);
    const card = await ctx.storage.findCard(session.cardId);
    if (card?.uuid == null) return refuse(422, 'identity-missing', 'The card\'s certificate has no UUID to put in a derived credential.');
    const cardRefusal = cardLifetimeRefusal(ctx, card, nowDate)
      ?? await recheckCardStatus(ctx, card, 'approve', { sessionId: session.id, ...deviceDetails });
    if (cardRefusal !== null) return refuse(cardRefusal.status, cardRefusal.code, cardRefusal.message);
    const enrollmentId = newRecordId();
    const { otp, otpHash, expiresAt } = freshOtp(ctx, enrollmentId);
    const approved = await ctx.storage.approveDeviceAuthorization(device.id, {
      id: enrollmentId, deviceAuthorizationId: device.id, cardId: card.id, kioskSessionId: session.id,
      status: 'awaiting-phone', otpHash, otpExpiresAt: expiresAt, otpFailures: 0, createdAt: now, completedAt: null,
      derivedCertificateSerialHex: null, phoneFetchedAt: null,
    }, ctx.config.pkiAuth.maxApprovalsPerSession, auditEntry(ctx, 'approve', 'success', null, {
      sessionId: session.id, cardId: card.id, deviceAuthorizationId: device.id, enrollmentId, clientId: device.clientId,
      // What the person was shown and confirmed (number matching).
      ...shownDetails(device, request.body.matchNumber), pairingShownAt: device.pairing?.shownAt ?? null,
    }));
    if (approved === 'not-pending') return fail(409, 'user-code-already-used', 'That code was already used.', deviceDetails);
    if (approved === 'session-limit') {
      return fail(409, 'session-approval-limit', 'This sign-in has already approved a phone: take the card out and sign in again for another.', deviceDetails);
    }
    return reply.code(201).header('cache-control', 'no-store').send(codeFor(ctx, enrollmentId, otp));
  });

  app.post<{ Params: EnrollmentIdParams }>(ISSUER_ROUTES.enrollmentRefresh, {
    schema: {
      summary: 'Kiosk: a fresh QR payload + OTP for the enrollment (the old OTP stops working)',
      params: EnrollmentIdParams,
      response: { 200: EnrollmentCode, 401: IssuerError, 403: IssuerError, 404: IssuerError, 409: IssuerError, 410: IssuerError },
    },
  }, async (request, reply) => {
    const found = await kioskEnrollment(ctx, request, reply);
    if (found === null) return reply;
    const { enrollment } = found;
    const fail = async (status: number, code: ErrorCode, message: string) => {
      await ctx.audit('refresh-otp', 'failure', code, { enrollmentId: enrollment.id });
      return sendError(reply, status, code, message);
    };
    if (enrollment.status === 'burned') return fail(410, 'enrollment-burned', 'Too many wrong one-time passwords: start again.');
    if (enrollment.status === 'card-revoked') return fail(403, 'card-revoked', CARD_REVOKED_MESSAGE);
    if (enrollment.status !== 'awaiting-phone') return fail(409, 'enrollment-completed', 'The phone already finished this enrollment.');
    const { otp, otpHash, expiresAt } = freshOtp(ctx, enrollment.id);
    const replaced = await ctx.storage.replaceEnrollmentOtp(enrollment.id, otpHash, expiresAt,
      auditEntry(ctx, 'refresh-otp', 'success', null, { enrollmentId: enrollment.id }));
    if (!replaced) return fail(409, 'enrollment-completed', 'The enrollment changed meanwhile; check its status.');
    ctx.events.notify(enrollment.id);
    return reply.header('cache-control', 'no-store').send(codeFor(ctx, enrollment.id, otp));
  });

  app.get<{ Params: EnrollmentIdParams; Querystring: EnrollmentStatusQuery }>(ISSUER_ROUTES.enrollmentStatus, {
    schema: {
      summary: 'Kiosk: the enrollment\'s state; long-polls up to waitSeconds while the state equals `since`',
      params: EnrollmentIdParams, querystring: EnrollmentStatusQuery,
      response: { 200: EnrollmentStatus, 401: IssuerError, 404: IssuerError },
    },
  }, async (request, reply) => {
    const found = await kioskEnrollment(ctx, request, reply);
    if (found === null) return reply;
    const deadline = Date.now() + (request.query.waitSeconds ?? 0) * 1000;
    let enrollment: EnrollmentRecord = found.enrollment;
    // With `since`: wait while the state equals it. Without: wait while state and phoneSeen are what they are now.
    const since = request.query.since;
    const current = (record: EnrollmentRecord): string =>
      since === undefined ? progressKey(record, ctx.now().getTime()) : publicState(record, ctx.now().getTime());
    const waitingFor = since ?? current(enrollment);
    while (current(enrollment) === waitingFor && Date.now() < deadline && !request.raw.destroyed) {
      // Wake on a change, or when the OTP expires (a state change nobody notifies).
      const untilExpiry = enrollment.otpExpiresAt - ctx.now().getTime();
      const wait = Math.min(deadline - Date.now(), untilExpiry > 0 ? untilExpiry + 5 : deadline - Date.now());
      await ctx.events.nextChange(enrollment.id, wait);
      enrollment = (await ctx.storage.findEnrollment(enrollment.id)) ?? enrollment;
    }
    return reply.header('cache-control', 'no-store').send(await statusOf(ctx, enrollment));
  });

  app.get<{ Params: EnrollmentIdParams }>(ISSUER_ROUTES.enrollmentEvents, {
    schema: { summary: 'Kiosk: server-sent events (`event: status`) on every state change', params: EnrollmentIdParams },
  }, async (request, reply) => {
    const found = await kioskEnrollment(ctx, request, reply);
    if (found === null) return reply;
    const enrollmentId = found.enrollment.id;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    let lastState = '';
    const push = async (): Promise<void> => {
      const enrollment = await ctx.storage.findEnrollment(enrollmentId);
      if (enrollment === null) return;
      const status = await statusOf(ctx, enrollment);
      if (status.state !== lastState) raw.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
      lastState = status.state;
      if (status.state === 'completed' || status.state === 'burned') close();
    };
    const report = (error: unknown) => request.log.error({ err: error }, 'enrollment event stream failed');
    const unsubscribe = ctx.events.subscribe(enrollmentId, () => { push().catch(report); });
    // Heartbeat keeps proxies from closing the stream and notices OTP expiry.
    const heartbeat = setInterval(() => { raw.write(': keep-alive\n\n'); push().catch(report); }, 5_000);
    const close = () => { clearInterval(heartbeat); unsubscribe(); raw.end(); };
    request.raw.on('close', close);
    await push();
  });

  app.get<{ Params: EnrollmentIdParams }>(ISSUER_ROUTES.enrollmentForPhone, {
    schema: {
      summary: 'Phone, after scanning: the enrollment it holds (the kiosk learns the phone has scanned)',
      params: EnrollmentIdParams,
      response: { 200: PhoneEnrollment, 401: IssuerError, 403: IssuerError, 404: IssuerError },
    },
  }, async (request, reply) => {
    const device = await deviceForAccessToken(ctx, request);
    if (device === null) return sendError(reply, 401, 'invalid-token', 'No or expired device access token.');
    const enrollment = await ctx.storage.findEnrollment(request.params.enrollmentId);
    if (enrollment === null) return sendError(reply, 404, 'enrollment-unknown', 'No such enrollment.');
    if (enrollment.deviceAuthorizationId !== device.id) {
      return sendError(reply, 403, 'wrong-device', 'This enrollment belongs to another device: use the phone that showed the code.');
    }
    const now = ctx.now().getTime();
    // The first fetch wakes the kiosk's long poll ("your phone has scanned the code").
    if (enrollment.phoneFetchedAt === null && await ctx.storage.recordPhoneFetched(enrollment.id, now)) ctx.events.notify(enrollment.id);
    return reply.header('cache-control', 'no-store').send({
      enrollmentId: enrollment.id, state: publicState(enrollment, now), otpLength: ctx.config.otp.length,
      expiresIn: Math.max(0, Math.ceil((enrollment.otpExpiresAt - now) / 1000)),
    });
  });

  app.post<{ Params: EnrollmentIdParams; Body: RedeemRequest }>(ISSUER_ROUTES.enrollmentRedeem, {
    schema: {
      summary: 'Phone: OTP + CSR → derived PIV Authentication certificate and chain',
      params: EnrollmentIdParams, body: RedeemRequest,
      response: {
        200: RedeemResponse, 400: IssuerError, 401: IssuerError, 403: IssuerError, 404: IssuerError, 409: IssuerError,
        410: IssuerError, 422: IssuerError, 503: IssuerError,
      },
    },
  }, async (request, reply) => {
    const device = await deviceForAccessToken(ctx, request);
    if (!guessAllowed(reply, device === null ? `ip:${request.ip}` : `device:${device.id}`)) return reply;
    const enrollmentId = request.params.enrollmentId;
    const failureDetails = () => ({ enrollmentId, deviceAuthorizationId: device?.id ?? null, ip: request.ip });
    const fail = async (status: number, code: ErrorCode, message: string) => {
      await ctx.audit('redeem', 'failure', code, failureDetails());
      return sendError(reply, status, code, message);
    };
    if (device === null) return fail(401, 'invalid-token', 'No or expired device access token.');
    const enrollment = await ctx.storage.findEnrollment(enrollmentId);
    if (enrollment === null) return fail(404, 'enrollment-unknown', 'No such enrollment.');
    if (enrollment.deviceAuthorizationId !== device.id) {
      return fail(403, 'wrong-device', 'This enrollment belongs to another device: use the phone that showed the code.');
    }
    if (enrollment.status === 'burned') return fail(410, 'enrollment-burned', 'Too many wrong one-time passwords: start again.');
    if (enrollment.status === 'card-revoked') return fail(403, 'card-revoked', CARD_REVOKED_MESSAGE);
    if (enrollment.status !== 'awaiting-phone') return fail(409, 'enrollment-completed', 'This enrollment is already finished.');
    if (ctx.now().getTime() >= enrollment.otpExpiresAt) {
      return fail(410, 'otp-expired', 'The one-time password has expired: ask the kiosk for a new one.');
    }
    const otp = request.body.otp.replace(/[\s-]/g, '');
    if (!ctx.codes.matches(enrollment.otpHash, 'otp', enrollment.id, otp)) {
      // The count (which burns the enrollment at the limit) and its audit row: one transaction.
      const { failures, burned } = await ctx.storage.recordOtpFailure(enrollment.id, ctx.config.otp.maxAttempts,
        (result) => auditEntry(ctx, 'redeem', 'failure', result.burned ? 'enrollment-burned' : 'otp-wrong', failureDetails()));
      ctx.events.notify(enrollment.id);
      if (burned) return sendError(reply, 410, 'enrollment-burned', 'Too many wrong one-time passwords: start again.');
      const attemptsLeft = Math.max(0, ctx.config.otp.maxAttempts - failures);
      return sendError(reply, 401, 'otp-wrong', `Wrong one-time password (${attemptsLeft} tries left).`, { attemptsLeft });
    }
    const csr = checkCsr(request.body.csr);
    if (!csr.ok) return fail(csr.code === 'csr-weak-key' ? 422 : 400, csr.code, csr.message);
    const card = await ctx.storage.findCard(enrollment.cardId);
    if (card?.uuid == null) return fail(422, 'identity-missing', 'The card has no UUID.');
    // The card as it is now, not as it was at sign-in: dates, then trust and revocation.
    const now = ctx.now();
    const cardRefusal = cardLifetimeRefusal(ctx, card, now)
      ?? await recheckCardStatus(ctx, card, 'redeem', { enrollmentId: enrollment.id, deviceAuthorizationId: device.id });
    if (cardRefusal !== null) return fail(cardRefusal.status, cardRefusal.code, cardRefusal.message);
    // Signed before the enrollment is marked completed, so that marking, the certificate record and the audit row
    // are one transaction. Two concurrent redemptions may both sign; only the one whose OTP hash still matches
    // stores its certificate, the other's is never handed out.
    const issued = await issueDerivedCertificate(ctx.ca, {
      subjectPublicKeySpkiDer: csr.subjectPublicKeySpkiDer, cardholderCommonName: card.commonName,
      cardholderUuid: card.uuid, cardCertificateNotAfter: new Date(card.notAfter),
      lifetimeDays: ctx.config.derivedCertificate.lifetimeDays, now,
    });
    const completed = await ctx.storage.completeEnrollment(enrollment.id, enrollment.otpHash, {
      serialNumberHex: issued.serialNumberHex, cardId: card.id, deviceAuthorizationId: device.id, enrollmentId: enrollment.id,
      certificateDer: issued.certificateDer, notBefore: issued.notBefore.getTime(), notAfter: issued.notAfter.getTime(),
      issuedAt: now.getTime(),
    }, auditEntry(ctx, 'redeem', 'success', null, {
      enrollmentId: enrollment.id, deviceAuthorizationId: device.id, cardId: card.id, derivedSerial: issued.serialNumberHex,
      keyAlgorithm: csr.keyAlgorithm, notAfter: issued.notAfter.toISOString(),
    }));
    if (!completed) return fail(409, 'enrollment-completed', 'This enrollment was finished or changed meanwhile.');
    ctx.events.notify(enrollment.id);
    return reply.header('cache-control', 'no-store').send({
      certificatePem: derToPem(issued.certificateDer),
      chainPem: ctx.ca.chainDer.map((der) => derToPem(der)),
      serialNumberHex: issued.serialNumberHex,
      notAfter: issued.notAfter.toISOString(),
    });
  });
}

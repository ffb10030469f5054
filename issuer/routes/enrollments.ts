// Kiosk: approve a phone's user_code (→ enrollment with QR payload + OTP), refresh the QR/OTP, watch the
// enrollment (long-poll or server-sent events). Phone: fetch the enrollment it scanned, redeem it with OTP + CSR.
// The rules are in issuer/enrollment/; the event stream is the one handler that writes its own answer.
import type { FastifyInstance } from 'fastify';
import { ISSUER_API } from '../../contracts/issuer-routes.ts';
import type { RouteSpec } from '../../contracts/issuer-routes.ts';
import { AFFIRMATION_POLLS_PER_MINUTE } from '../agent/supervised-issuance.ts';
import { approveUserCode } from '../enrollment/approve-user-code.ts';
import { watchEnrollment, statusOf } from '../enrollment/enrollment-status.ts';
import { findKioskEnrollment } from '../enrollment/kiosk-enrollment.ts';
import { fetchPhoneEnrollment } from '../enrollment/phone-enrollment.ts';
import { redeemEnrollment } from '../enrollment/redeem.ts';
import { refreshEnrollment } from '../enrollment/refresh-enrollment.ts';
import { sendRefusal } from '../http-errors.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { perProcessLimiter, serviceLimiter } from '../rate-limit.ts';
import { registerRoute, routeInput, routeSchema } from '../route-registration.ts';

/** How often an event stream sends a comment (keeps proxies from closing it) and re-reads the state (OTP expiry). */
const HEARTBEAT_MS = 5_000;

export function registerEnrollmentRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  // user_code and OTP guesses per minute (issuer/enrollment/code-guesses.ts): one counter for approve and redeem.
  const guesses = serviceLimiter(ctx.config.rateLimits, 'codeGuessesPerMinute');
  const affirmationPolls = perProcessLimiter(AFFIRMATION_POLLS_PER_MINUTE);
  registerRoute(app, 'approveUserCode', ({ bearer, body, ip, kioskProof }) =>
    approveUserCode(ctx, guesses, { sessionToken: bearer, request: body, ip, kioskProof }),
  );
  registerRoute(app, 'refreshEnrollment', ({ bearer, params, ip, kioskProof }) =>
    refreshEnrollment(ctx, { sessionToken: bearer, enrollmentId: params.enrollmentId, ip, kioskProof }),
  );
  registerRoute(app, 'enrollmentStatus', ({ bearer, params, query, callerGone }) =>
    watchEnrollment(ctx, { sessionToken: bearer, enrollmentId: params.enrollmentId, query, callerGone }),
  );
  registerRoute(app, 'enrollmentForPhone', ({ bearer, params }) =>
    fetchPhoneEnrollment(ctx, { accessToken: bearer, enrollmentId: params.enrollmentId }),
  );
  registerRoute(app, 'redeemEnrollment', ({ bearer, params, body, ip }) =>
    redeemEnrollment(
      ctx,
      { guesses, affirmationPolls },
      { accessToken: bearer, enrollmentId: params.enrollmentId, request: body, ip },
    ),
  );
  registerEventStream(app, ctx);
}

function registerEventStream(app: FastifyInstance, ctx: IssuerContext): void {
  const route: RouteSpec = ISSUER_API.enrollmentEvents;
  app.get(route.path, { schema: routeSchema(route) }, async (request, reply) => {
    const { bearer, params } = routeInput<'enrollmentEvents'>(request);
    const found = await findKioskEnrollment(ctx, bearer, params.enrollmentId);
    if (!found.ok) return sendRefusal(reply, found.error);
    const enrollmentId = found.value.enrollment.id;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(route.success.status, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    let lastState = '';
    const push = async (): Promise<void> => {
      const supervised = await ctx.storage.findSupervisedEnrollment(enrollmentId);
      if (supervised === null) return;
      const status = await statusOf(ctx, supervised);
      if (status.state !== lastState) raw.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
      lastState = status.state;
      if (status.state === 'completed' || status.state === 'burned') close();
    };
    const report = (error: unknown) => request.log.error({ err: error }, 'enrollment event stream failed');
    const unsubscribe = ctx.events.subscribe(enrollmentId, () => {
      push().catch(report);
    });
    const heartbeat = setInterval(() => {
      raw.write(': keep-alive\n\n');
      push().catch(report);
    }, HEARTBEAT_MS);
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
      raw.end();
    };
    request.raw.on('close', close);
    await push();
    return reply;
  });
}

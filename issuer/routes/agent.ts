// The help-desk agent console's routes (issue 13, issuer side): sign-in with the agent's own card, sign-out, person
// look-up, credential actions, four-eyes requests, re-issue, the live queue (JSON and server-sent events), the
// kiosks and the audit log (auditor, admin). The rules are in issuer/agent/; every one checks the caller's session
// and role first (authenticateAgent).
import type { FastifyInstance } from 'fastify';
import { ISSUER_API } from '../../contracts/issuer-routes.ts';
import type { RouteSpec } from '../../contracts/issuer-routes.ts';
import { changeSettings, showTenantSettings } from '../agent/admin-settings.ts';
import { watchKiosks } from '../agent/agent-kiosks.ts';
import { authenticateAgent, signInAgent, signOutAgent } from '../agent/agent-session.ts';
import { searchAuditLog } from '../agent/audit-search.ts';
import { revokeCredential, suspendOrResume, terminatePerson } from '../agent/credential-actions.ts';
import { enrollmentQueue, watchQueue } from '../agent/enrollment-queue.ts';
import { lookUpPeople } from '../agent/person-lookup.ts';
import { reissueCode } from '../agent/reissue-code.ts';
import { affirmEnrollment } from '../agent/supervised-issuance.ts';
import { approveRevocation, listRevocationRequests, rejectRevocation } from '../agent/revocation-requests.ts';
import { sendRefusal } from '../http-errors.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { registerRoute, routeInput, routeSchema } from '../route-registration.ts';

/** How often the queue stream sends a comment, re-checks the caller's session and role, and re-reads the queue. */
const QUEUE_HEARTBEAT_MS = 5_000;
/** Changes closer together than this are sent as one update (a busy hour must not flood every console). */
const QUEUE_COALESCE_MS = 250;

export function registerAgentRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  registerRoute(app, 'agentSignIn', ({ body, ip }) => signInAgent(ctx, { answer: body, ip }));
  registerRoute(app, 'agentSignOut', ({ bearer }) => signOutAgent(ctx, bearer));
  registerRoute(app, 'agentPeople', ({ bearer, query }) => lookUpPeople(ctx, { token: bearer, query: query.q }));
  registerRoute(app, 'agentSuspendCredential', ({ bearer, params, body }) =>
    suspendOrResume(ctx, 'suspend', { token: bearer, serialNumberHex: params.serialNumberHex, note: body.note }),
  );
  registerRoute(app, 'agentResumeCredential', ({ bearer, params, body }) =>
    suspendOrResume(ctx, 'resume', { token: bearer, serialNumberHex: params.serialNumberHex, note: body.note }),
  );
  registerRoute(app, 'agentRevokeCredential', ({ bearer, params, body }) =>
    revokeCredential(ctx, { token: bearer, serialNumberHex: params.serialNumberHex, ...body }),
  );
  registerRoute(app, 'agentTerminatePerson', ({ bearer, params, body }) =>
    terminatePerson(ctx, { token: bearer, cardId: params.cardId, ...body }),
  );
  registerRoute(app, 'agentRevocationRequests', ({ bearer }) => listRevocationRequests(ctx, bearer));
  registerRoute(app, 'agentApproveRevocation', ({ bearer, params, body }) =>
    approveRevocation(ctx, { token: bearer, requestId: params.requestId, note: body.note }),
  );
  registerRoute(app, 'agentRejectRevocation', ({ bearer, params, body }) =>
    rejectRevocation(ctx, { token: bearer, requestId: params.requestId, note: body.note }),
  );
  registerRoute(app, 'agentReissueCode', ({ bearer, params, body }) =>
    reissueCode(ctx, { token: bearer, enrollmentId: params.enrollmentId, note: body.note }),
  );
  registerRoute(app, 'agentAffirmEnrollment', ({ bearer, params, body }) =>
    affirmEnrollment(ctx, { token: bearer, enrollmentId: params.enrollmentId, ...body }),
  );
  registerRoute(app, 'adminTenantSettings', ({ bearer }) => showTenantSettings(ctx, bearer));
  registerRoute(app, 'adminChangeTenantSettings', ({ bearer, body }) =>
    changeSettings(ctx, { token: bearer, changes: body }),
  );
  registerRoute(app, 'agentQueue', ({ bearer }) => watchQueue(ctx, bearer));
  registerRoute(app, 'agentAudit', ({ bearer, query }) => searchAuditLog(ctx, { token: bearer, query }));
  registerRoute(app, 'agentKiosks', ({ bearer }) => watchKiosks(ctx, bearer));
  registerQueueStream(app, ctx);
}

/**
 * `event: queue` with the whole queue whenever an enrollment changes (EnrollmentEvents, as the kiosk's stream), and
 * at every heartbeat when it differs. The caller is checked at the start and at every heartbeat: a signed-out,
 * expired or demoted agent's stream ends there. Watching is not activity: the heartbeat's check does not renew the
 * session, so an idle console's stream ends with its session.
 */
function registerQueueStream(app: FastifyInstance, ctx: IssuerContext): void {
  const route: RouteSpec = ISSUER_API.agentQueueEvents;
  app.get(route.path, { schema: routeSchema(route) }, async (request, reply) => {
    const { bearer } = routeInput<'agentQueueEvents'>(request);
    const caller = await authenticateAgent(ctx, bearer, 'read');
    if (!caller.ok) return sendRefusal(reply, caller.error);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(route.success.status, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    let last = '';
    let pending: NodeJS.Timeout | null = null;
    const report = (error: unknown) => request.log.error({ err: error }, 'agent queue stream failed');
    const push = async (): Promise<void> => {
      const text = JSON.stringify(await enrollmentQueue(ctx));
      if (text !== last && !raw.writableEnded) raw.write(`event: queue\ndata: ${text}\n\n`);
      last = text;
    };
    const schedule = () => {
      pending ??= setTimeout(() => {
        pending = null;
        push().catch(report);
      }, QUEUE_COALESCE_MS);
    };
    const unsubscribe = ctx.events.subscribeAll(schedule);
    const heartbeat = setInterval(() => {
      authenticateAgent(ctx, bearer, 'read', { renew: false })
        .then((again) => {
          if (!again.ok) return close();
          raw.write(': keep-alive\n\n');
          return push();
        })
        .catch(report);
    }, QUEUE_HEARTBEAT_MS);
    const close = () => {
      clearInterval(heartbeat);
      if (pending !== null) clearTimeout(pending);
      unsubscribe();
      raw.end();
    };
    request.raw.on('close', close);
    await push();
    return reply;
  });
}

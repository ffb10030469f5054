// This PC (`dck pc`, issue 14): a card sign-in authorizes one PC's key; the PC's key revokes its own credential.
// The rules are issuer/pc/enroll-pc.ts and revoke-pc-credential.ts.
import type { FastifyInstance } from 'fastify';
import type { IssuerContext } from '../issuer-context.ts';
import { enrollPc } from '../pc/enroll-pc.ts';
import { revokePcCredential } from '../pc/revoke-pc-credential.ts';
import { registerRoute } from '../route-registration.ts';

export function registerPcRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  registerRoute(app, 'pcEnrollment', ({ bearer, body }) => enrollPc(ctx, { sessionToken: bearer, request: body }));
  registerRoute(app, 'pcRevocation', ({ params, body, ip }) =>
    revokePcCredential(ctx, { serialNumberHex: params.serialNumberHex, request: body, ip }),
  );
}

// RFC 8628 for the phone: device authorization and the token poll (issuer/device-flow/ holds the rules), and the
// plain-text page verification_uri points at.
import type { FastifyInstance } from 'fastify';
import { OPERATIONS_PATHS } from '../../contracts/issuer-routes.ts';
import { authorizeDevice } from '../device-flow/authorize-device.ts';
import { exchangeDeviceCode } from '../device-flow/exchange-device-code.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { registerRoute } from '../route-registration.ts';

export function registerDeviceFlowRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  registerRoute(app, 'deviceAuthorization', ({ body, ip }) => authorizeDevice(ctx, { request: body, ip }));
  registerRoute(app, 'token', ({ body, ip }) => exchangeDeviceCode(ctx, { ...body, ip }));
  app.get(OPERATIONS_PATHS.devicePage, { schema: { hide: true } }, (_request, reply) =>
    reply
      .type('text/plain; charset=utf-8')
      .send(
        `${ctx.config.displayName}: type the code shown on your phone at a derived-credential kiosk, after signing in with your smart card.\n`,
      ),
  );
}

// Kiosk: its signed heartbeat. The rule is issuer/kiosks/kiosk-heartbeat.ts.
import type { FastifyInstance } from 'fastify';
import type { IssuerContext } from '../issuer-context.ts';
import { recordKioskHeartbeat } from '../kiosks/kiosk-heartbeat.ts';
import { registerRoute } from '../route-registration.ts';

export function registerKioskRoutes(app: FastifyInstance, ctx: IssuerContext): void {
  registerRoute(app, 'kioskHeartbeat', ({ body, ip }) => recordKioskHeartbeat(ctx, body, ip));
}

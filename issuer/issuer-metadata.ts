// The public facts about this issuer that clients read first: names, help URL, the CA that signs derived
// certificates, the OTP length the kiosk shows.
import { derToPem } from './ca/pem.ts';
import type { IssuerContext } from './issuer-context.ts';
import { ok } from './refusal.ts';
import type { RouteRuleResult } from './refusal.ts';

export function issuerMetadata(
  ctx: Pick<IssuerContext, 'config' | 'baseUrl' | 'ca'>,
): Promise<RouteRuleResult<'metadata'>> {
  return Promise.resolve(
    ok({
      displayName: ctx.config.displayName,
      helpUrl: ctx.config.helpUrl,
      issuerBaseUrl: ctx.baseUrl,
      caCertificatePem: derToPem(ctx.ca.certificateDer),
      otpLength: ctx.config.otp.length,
    }),
  );
}

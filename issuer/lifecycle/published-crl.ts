// The rule of GET /revocation/crl/:generation: the published CRL of one issuer generation, brought up to date
// first when it is the current one (crl-publisher.ts). No Fastify here; issuer/routes/revocation.ts answers it.
import type { CrlPublisher } from './crl-publisher.ts';
import { ok, refuse } from '../refusal.ts';
import type { RuleResult } from '../refusal.ts';

export interface CrlAnswer {
  readonly der: Uint8Array;
  /** How long a relying party may cache it: until its nextUpdate, at most `maxCacheSeconds`. */
  readonly maxAgeSeconds: number;
}

export async function publishedCrl(
  deps: { crl: Pick<CrlPublisher, 'crlFor'>; now: () => Date; maxCacheSeconds: number },
  generation: number,
): Promise<RuleResult<CrlAnswer, 'crl-unknown' | 'crl-unavailable'>> {
  const crl = await deps.crl.crlFor(generation);
  if (crl === null) return refuse('crl-unknown');
  const now = deps.now().getTime();
  // A CRL past its nextUpdate is no answer (a relying party would reject it); the publisher could not renew it.
  if (crl.nextUpdate <= now) return refuse('crl-unavailable');
  const untilNextUpdate = Math.max(0, Math.floor((crl.nextUpdate - now) / 1000));
  return ok({ der: crl.der, maxAgeSeconds: Math.min(untilNextUpdate, deps.maxCacheSeconds) });
}

// The issuer's rate limits (issuer/rate-limit.ts) count in memory, per process. With N workers each gets a share of every
// limit, and the shares add up to exactly the configured limit: however an attacker's connections are spread
// over the workers, the service as a whole never lets more through than the limit says. (A caller whose
// connection stays on one worker gets only that worker's share: with the defaults, 30 code guesses a minute,
// that is still far above what a kiosk or a phone ever needs.)
import type { IssuerConfig } from '../config.ts';

type RateLimits = IssuerConfig['rateLimits'];

/** Worker `slot`'s part of `limit` when `workers` share it: floor(limit / workers), plus one for the first remainder slots. */
export function shareOfLimit(limit: number, slot: number, workers: number): number {
  return Math.floor(limit / workers) + (slot < limit % workers ? 1 : 0);
}

export function rateLimitsForWorker(limits: RateLimits, slot: number, workers: number): RateLimits {
  return {
    codeGuessesPerMinute: shareOfLimit(limits.codeGuessesPerMinute, slot, workers),
    requestsPerMinute: shareOfLimit(limits.requestsPerMinute, slot, workers),
    unauthenticatedPerAddressPerMinute: shareOfLimit(limits.unauthenticatedPerAddressPerMinute, slot, workers),
    unauthenticatedServicePerMinute: shareOfLimit(limits.unauthenticatedServicePerMinute, slot, workers),
  };
}

/**
 * How many workers can share these limits so that every share is at least 1 (a share of 0 would refuse every
 * request that lands on that worker). Returns the count and, when it is fewer than asked, the setting that capped it.
 */
export function workerCountForLimits(
  requested: number,
  limits: RateLimits,
): { workers: number; cappedBy: keyof RateLimits | null } {
  const [cappedBy, smallest] = (Object.entries(limits) as [keyof RateLimits, number][]).reduce((least, entry) =>
    entry[1] < least[1] ? entry : least,
  );
  if (requested <= smallest) return { workers: requested, cappedBy: null };
  return { workers: smallest, cappedBy };
}

// The "app" notification channel: what the phone's status request is told about its derived credential. A plain
// rule (no HTTP): the route in routes/credential-status.ts parses, calls it, and replies.
import type { CredentialStatus } from '../../contracts/issuer-api.ts';
import type { IssuerContext } from '../issuer-context.ts';
import { credentialState } from '../lifecycle/credential-state.ts';
import { ok, refuse } from '../refusal.ts';
import type { RouteRuleResult } from '../refusal.ts';
import type { DerivedCertificateRecord } from '../storage/issuer-storage.ts';
import { showsInApp } from '../lifecycle/tenant-settings.ts';
import type { TenantSettings } from '../lifecycle/tenant-settings.ts';

/**
 * notBefore + threshold × lifetime, in whole milliseconds. The outbox's renewal scan computes the same point in SQL
 * (storage/sqlite-outbox.ts) so that it can select by it; the two must stay the same formula.
 */
export function renewalDueAt(notBefore: number, notAfter: number, thresholdPercent: number): number {
  return notBefore + Math.floor(((notAfter - notBefore) * thresholdPercent) / 100);
}

export function credentialStatus(
  credential: DerivedCertificateRecord,
  settings: Pick<TenantSettings, 'notificationTypes' | 'renewalThresholdPercent'>,
  now: number,
): CredentialStatus {
  const state = credentialState(credential, new Date(now));
  const active = state === 'active';
  const dueAt = showsInApp(settings.notificationTypes)
    ? renewalDueAt(credential.notBefore, credential.notAfter, settings.renewalThresholdPercent)
    : null;
  return {
    serialNumberHex: credential.serialNumberHex,
    state,
    notAfter: new Date(credential.notAfter).toISOString(),
    renewalDueAt: dueAt === null ? null : new Date(dueAt).toISOString(),
    renewalDue: active && dueAt !== null && now >= dueAt,
  };
}

/** The `credentialStatus` route's rule: the credential's state by serial, or `not-found`. */
export async function credentialStatusBySerial(
  ctx: Pick<IssuerContext, 'storage' | 'tenant' | 'now'>,
  serialNumberHex: string,
): Promise<RouteRuleResult<'credentialStatus'>> {
  const credential = await ctx.storage.findDerivedCertificate(serialNumberHex);
  if (credential === null) return refuse('not-found', { detail: 'No derived credential has this serial number.' });
  // The tenant's settings as they are now (re-read every few seconds): `dck admin tenant set` needs no restart.
  return ok(credentialStatus(credential, await ctx.tenant(), ctx.now().getTime()));
}

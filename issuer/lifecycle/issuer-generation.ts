// The issuer generation: one per issuing CA of the tenant (seed 003 "Change the derived credential issuer"). A CA
// certificate the database has not seen as the live generation starts a new one: the old generation is retired
// (its CA signs no more: a redeem signed by it is refused at commit) and every credential it issued is revoked.
import { issuerChangedNotices } from '../notifications/notices.ts';
import type { IssuerStorage } from '../storage/issuer-storage.ts';
import type { RevocationReason } from './revocation-reason.ts';
import type { LifecycleActor } from './credential-state.ts';
import type { NotificationType } from './tenant-settings.ts';

export async function enterIssuerGeneration(
  storage: IssuerStorage,
  caCertificateDer: Uint8Array,
  at: Date,
  actor: LifecycleActor,
  reason: RevocationReason = 'cessationOfOperation',
  /** The tenant's setting, read by the caller just before; absent → nobody is told (tests of generations). */
  notificationTypes?: NotificationType,
): Promise<{ generation: number; revoked: string[] }> {
  const time = at.getTime();
  return storage.startIssuerGeneration(
    caCertificateDer,
    time,
    reason,
    (result) => ({
      at: time,
      event: 'issuer-generation',
      outcome: 'success',
      code: null,
      details: {
        generation: result.generation,
        credentialsRevoked: result.revoked.length,
        actorKind: actor.kind,
        actor: actor.id,
      },
    }),
    (serialNumberHex) => ({
      at: time,
      event: 'credential-revoke',
      outcome: 'success',
      code: reason,
      details: { serialNumberHex, actorKind: actor.kind, actor: actor.id, note: 'issuer generation replaced' },
    }),
    notificationTypes === undefined
      ? // Every holder of a revoked credential is told to enroll again (seed 003), in the generation's transaction.
        undefined
      : (generation) => (credential) => issuerChangedNotices(notificationTypes, credential, generation, time),
  );
}

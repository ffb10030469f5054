// The notification sender: every `notifications.sendIntervalSeconds`, the process holding the `notifications`
// lease (one at a time over every process on the database) queues the renewal-due notices that became due, then
// sends what the outbox holds, one claimed row at a time. Whether email goes out and when a credential is
// renewal-due are the tenant's settings (notificationTypes, renewalThresholdPercent), read from the database at
// every run, so `dck admin tenant set` reaches a running issuer without a restart.
//
// Nothing is lost: a row leaves `pending` only as `sent` (the relay accepted it) or `failed` (after maxAttempts,
// or a permanent refusal), both audited. Nothing is sent twice by two processes: a row is claimed by a conditional
// update before the relay is called, and the claim outlives the delivery's timeouts. The one gap no outbox closes:
// a process that dies after the relay accepted a message and before the row is marked sent sends it again when the
// claim lapses; the Message-ID is the row's, so the copy is recognisably the same message.
import { randomBytes, randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import type { IssuerConfig } from '../config.ts';
import type { IssuerStorage, NotificationRecord, NotificationSettlement } from '../storage/issuer-storage.ts';
import type { DirectoryLookup } from './directory-lookup.ts';
import { emailDomain } from './email-address.ts';
import type { MailTransport } from './mail-transport.ts';
import { composeNotice } from './messages.ts';
import { readTenantSettings, sendsEmail } from '../lifecycle/tenant-settings.ts';
import type { TenantSettings } from '../lifecycle/tenant-settings.ts';
import { renewalDueNotices } from './notices.ts';
import { findRecipient } from './recipient.ts';

const LEASE_NAME = 'notifications';
/** Messages one run sends at most, and renewal-due rows it queues at most: a backlog is worked off over runs. */
const MAX_SENDS_PER_RUN = 200;
const MAX_RENEWALS_PER_RUN = 1000;
/** A claim lasts this long at least; nodemailer's three timeouts (connect, greeting, idle) must end within it. */
const MIN_CLAIM_MS = 5 * 60_000;

/** Error codes a notice can end with (outbox `last_error`, audit `code`); the lead moves them into the error table. */
export const NOTIFICATION_ERROR_CODES = [
  'no-address',
  'card-unknown',
  'directory-no-entry',
  'directory-address-invalid',
  'directory-ambiguous',
  'directory-unavailable',
  'smtp-unavailable',
  'smtp-refused',
  'password-unavailable',
] as const;

export interface NotificationRun {
  leaseHeld: boolean;
  queuedRenewals: number;
  sent: number;
  retried: number;
  failed: number;
}

export interface NotificationJob {
  runOnce(): Promise<NotificationRun>;
  stop(): Promise<void>;
}

export interface NotificationJobOptions {
  storage: IssuerStorage;
  config: IssuerConfig;
  now: () => Date;
  transport: MailTransport | null;
  directory: DirectoryLookup | null;
  warn: (message: string) => void;
}

/** Exponential back-off: base × 2^(attempt−1), capped, plus up to 10% jitter so many rows do not retry in step. */
export function nextAttemptDelayMs(attempts: number, baseSeconds: number, maxSeconds: number): number {
  const seconds = Math.min(maxSeconds, baseSeconds * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return seconds * 1000 + randomInt(0, Math.max(1, Math.floor(seconds * 100)));
}

export function startNotifications(options: NotificationJobOptions): NotificationJob {
  const { storage, config, now } = options;
  const settings = config.notifications;
  const holder = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  const intervalMs = settings.sendIntervalSeconds * 1000;
  const claimMs = Math.max(MIN_CLAIM_MS, 4 * (settings.smtp?.timeoutSeconds ?? 0) * 1000);
  let running: Promise<NotificationRun> | null = null;

  const queueRenewals = async (at: number, tenant: TenantSettings): Promise<number> => {
    let queued = 0;
    for (const credential of await storage.listRenewalCandidates(
      at,
      tenant.renewalThresholdPercent,
      MAX_RENEWALS_PER_RUN,
    )) {
      for (const message of renewalDueNotices(tenant.notificationTypes, credential, at)) {
        const added = await storage.queueNotification(message, {
          at,
          event: 'renewal-due',
          outcome: 'success',
          code: null,
          details: { derivedSerial: credential.serialNumberHex, cardId: credential.cardId, notificationId: message.id },
        });
        if (added) queued += 1;
      }
    }
    return queued;
  };

  const settle = async (
    record: NotificationRecord,
    settlement: NotificationSettlement,
    extra: Record<string, string>,
  ): Promise<void> => {
    // Sent and given-up messages are audited; a retry is not (the row itself keeps the count and the last error).
    const audit =
      settlement.outcome === 'retry'
        ? null
        : {
            at: settlement.at,
            event: 'notification',
            outcome: settlement.outcome === 'sent' ? ('success' as const) : ('failure' as const),
            code: settlement.outcome === 'sent' ? null : settlement.error,
            details: {
              notificationId: record.id,
              kind: record.kind,
              cardId: record.cardId,
              derivedSerial: record.derivedSerialHex,
              attempts: record.attempts,
              ...extra,
            },
          };
    await storage.settleNotification(record.id, holder, settlement, audit);
  };

  const failure = (
    record: NotificationRecord,
    at: number,
    error: string,
    permanent: boolean,
  ): NotificationSettlement =>
    permanent || record.attempts >= settings.maxAttempts
      ? { outcome: 'failed', at, error }
      : {
          outcome: 'retry',
          at,
          error,
          nextAttemptAt: at + nextAttemptDelayMs(record.attempts, settings.retryBaseSeconds, settings.retryMaxSeconds),
        };

  const deliver = async (
    record: NotificationRecord,
    transport: MailTransport,
    from: string,
  ): Promise<NotificationSettlement['outcome']> => {
    const at = now().getTime();
    const card = await storage.findCard(record.cardId);
    if (card === null) {
      await settle(record, { outcome: 'failed', at, error: 'card-unknown' }, {});
      return 'failed';
    }
    const recipient = await findRecipient(card, options.directory);
    if (!recipient.found) {
      const settlement = failure(record, at, recipient.code, !recipient.retry);
      await settle(record, settlement, {});
      return settlement.outcome;
    }
    const language = recipient.language ?? settings.language;
    const notice = composeNotice({
      kind: record.kind,
      language,
      facts: record.facts,
      issuerName: config.displayName,
      helpUrl: config.helpUrl,
    });
    const result = await transport.send({
      from,
      to: recipient.address,
      subject: notice.subject,
      text: notice.text,
      date: now(),
      language,
      messageId: `<${record.id}@${emailDomain(from)}>`,
    });
    const settlement: NotificationSettlement = result.delivered
      ? { outcome: 'sent', at: now().getTime() }
      : failure(record, now().getTime(), result.code, result.permanent);
    await settle(record, settlement, {
      addressSource: recipient.source,
      recipientDomain: emailDomain(recipient.address),
      language,
    });
    return settlement.outcome;
  };

  let toldNoRelay = false;
  /** Email chosen by the tenant, no relay in this config: said once per process; the notices wait in the outbox. */
  const noRelay = (): void => {
    if (toldNoRelay) return;
    toldNoRelay = true;
    options.warn(
      'issuer notifications: the tenant setting notificationTypes includes email, but this issuer config has no ' +
        'notifications.smtp and from: email notices wait in the outbox until it has',
    );
  };

  const run = async (): Promise<NotificationRun> => {
    const result: NotificationRun = { leaseHeld: false, queuedRenewals: 0, sent: 0, retried: 0, failed: 0 };
    const tenant = await readTenantSettings(storage, config);
    if (!sendsEmail(tenant.notificationTypes)) return result;
    if (options.transport === null || settings.from === null) {
      noRelay();
      return result;
    }
    const at = now().getTime();
    if (!(await storage.takeLease(LEASE_NAME, holder, at, 2 * Math.max(intervalMs, claimMs)))) return result;
    result.leaseHeld = true;
    result.queuedRenewals = await queueRenewals(at, tenant);
    for (let sends = 0; sends < MAX_SENDS_PER_RUN; sends += 1) {
      // One row per claim: the claim then only has to outlast one delivery.
      const [record] = await storage.claimNotifications(holder, now().getTime(), claimMs, 1);
      if (record === undefined) break;
      const outcome = await deliver(record, options.transport, settings.from);
      if (outcome === 'sent') result.sent += 1;
      else if (outcome === 'retry') result.retried += 1;
      else result.failed += 1;
    }
    return result;
  };

  const runOnce = (): Promise<NotificationRun> => {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    runOnce().catch((error: unknown) =>
      options.warn(
        `issuer notifications failed (retried in ${settings.sendIntervalSeconds} s): ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }, intervalMs);
  timer.unref();

  return {
    runOnce,
    stop: async () => {
      clearInterval(timer);
      await running?.catch(() => undefined);
      options.transport?.close();
      // Hand the lease back (a lease ending now is free), so a restarted process sends at once, not in two intervals.
      // A lease another process holds is left alone: takeLease changes only our own or a lapsed one.
      await storage.takeLease(LEASE_NAME, holder, now().getTime(), 0).catch(() => undefined);
    },
  };
}

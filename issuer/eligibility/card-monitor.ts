// The card monitor (issue 10 §4, SP 800-157 §2.4): every `eligibility.tickSeconds`, the process holding the
// `eligibility` lease (one at a time over every process on the database) reads the due cards page by page, by index
// (issue 15: not a walk of every linked card; storage/due-cards-sql.ts), re-checks them (schedule.ts decides each
// card, as it decides the bounds of the reads) through their CRL or OCSP (card-revocation-oracle.ts), records each verdict
// (table card_eligibility: survives restarts) and applies the tenant's policy to a card found revoked, once
// (card-revoked-action.ts; recorded done only when it returned, retried otherwise).
// A card without a current answer is `unknown`: flagged (audit row, log line, metric), retried sooner, never acted on.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type {
  AuditEntryInput,
  CardEligibilityRecord,
  CardRecord,
  DueCard,
  DueCardsKind,
  IssuerStorage,
  LinkedCard,
} from '../storage/issuer-storage.ts';
import type { CardChecker, CardRevocationOracle, CardVerdict } from './card-revocation-oracle.ts';
import type { CardRevokedPolicy, OnCardRevoked } from './card-revoked-action.ts';
import { firstCheckIssuedBy, isDue, nextCheckAt, nextCheckDueBy, type EligibilitySettings } from './schedule.ts';

const LEASE_NAME = 'eligibility';
/** Distinct reasons named in the run's "unknown" audit row and log line (the per-card detail is in card_eligibility). */
const REASONS_TOLD = 3;
/**
 * The listings of a run, in this order: a revoked card whose policy failed before is retried before new checks may
 * add more; a card checked on the recheck pages has its next time past the run's, so the first-check pages (cards
 * with no verdict) never meet it again.
 */
const DUE_KINDS: readonly DueCardsKind[] = ['action-pending', 'recheck', 'first-check'];

export interface CardMonitorRun {
  leaseHeld: boolean;
  checked: number;
  good: number;
  revoked: number;
  unknown: number;
  /** Policy actions applied this run (new revocations, and earlier ones that had failed). */
  actionsDone: number;
  actionsFailed: number;
}

export interface CardMonitorJob {
  /** One run now (tests, benchmarks, and the timer): nothing when another process holds the lease. */
  runOnce(): Promise<CardMonitorRun>;
  stop(): Promise<void>;
}

export interface CardMonitorOptions {
  readonly storage: IssuerStorage;
  readonly settings: EligibilitySettings;
  readonly oracle: CardRevocationOracle;
  readonly onCardRevoked: OnCardRevoked;
  /**
   * The tenant's `onCardRevoked` now (issuer/lifecycle/tenant-settings.ts: the database is its one source, audited;
   * the config file only seeds the default). Read once per run, so a run applies one policy throughout.
   */
  readonly policy: () => Promise<CardRevokedPolicy>;
  readonly now: () => Date;
  /** The log line of a flagged run or a failed action. */
  readonly warn: (message: string) => void;
  /** Metrics: told each run's figures. */
  readonly observe?: (run: CardMonitorRun) => void;
}

/** The options of one run: the policy as read at its start. */
type RunOptions = Omit<CardMonitorOptions, 'policy'> & { readonly policy: CardRevokedPolicy };

export function startCardMonitor(options: CardMonitorOptions): CardMonitorJob {
  const holder = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
  const leaseMs = 2 * options.settings.tickSeconds * 1000;
  let running: Promise<CardMonitorRun> | null = null;
  const runOnce = (): Promise<CardMonitorRun> => {
    // One run at a time in this process: a slow run is not overlapped by the next tick.
    running ??= monitorRun(options, holder, leaseMs).finally(() => {
      running = null;
    });
    return running;
  };
  const timer = options.settings.enabled
    ? setInterval(() => {
        runOnce().catch((error: unknown) =>
          options.warn(`card monitor run failed (retried in ${options.settings.tickSeconds} s): ${messageOf(error)}`),
        );
      }, options.settings.tickSeconds * 1000)
    : null;
  timer?.unref();
  return {
    runOnce,
    stop: async () => {
      if (timer !== null) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

async function monitorRun(options: CardMonitorOptions, holder: string, leaseMs: number): Promise<CardMonitorRun> {
  const { storage, now } = options;
  const at = now();
  const run: CardMonitorRun = {
    leaseHeld: false,
    checked: 0,
    good: 0,
    revoked: 0,
    unknown: 0,
    actionsDone: 0,
    actionsFailed: 0,
  };
  if (!(await storage.takeLease(LEASE_NAME, holder, at.getTime(), leaseMs))) return run;
  run.leaseHeld = true;
  const runOptions: RunOptions = { ...options, policy: await options.policy() };
  const check = await options.oracle.beginRun(at);
  const unknownReasons = new Map<string, number>();
  const pages: RunPages = { check, run, unknownReasons, holder, leaseMs };
  for (const kind of DUE_KINDS) if (!(await runKind(runOptions, kind, at.getTime(), pages))) break;
  if (run.unknown > 0) await flagUnknown(options, at.getTime(), run, unknownReasons);
  if (runOptions.policy === 'flag' && run.actionsDone > 0) tellAdministratorOfFlagged(options, run.actionsDone);
  options.observe?.(run);
  return run;
}

/** What the pages of one run share. */
interface RunPages {
  check: CardChecker;
  run: CardMonitorRun;
  unknownReasons: Map<string, number>;
  holder: string;
  leaseMs: number;
}

/** Pages through one kind of due card; false when the lease was lost (the run stops, the new holder goes on). */
async function runKind(options: RunOptions, kind: DueCardsKind, at: number, pages: RunPages): Promise<boolean> {
  const { storage, settings } = options;
  const dueBy = kind === 'first-check' ? firstCheckIssuedBy(at, settings) : nextCheckDueBy(at);
  let after = { time: -1, cardId: '' };
  for (;;) {
    const page = await storage.listDueCards({ kind, after, limit: settings.pageSize, at, dueBy });
    const last = page[page.length - 1];
    if (last === undefined) return true;
    after = last.key;
    const linked = page.filter(isLinked);
    const toAct = await checkPage(options, linked, pages.check, at, pages.run, pages.unknownReasons);
    for (const [card, verdict] of toAct) await applyPolicy(options, card, verdict, pages.run);
    if (kind !== 'action-pending') await keepToSchedule(options, page, at);
    // Renewed every page; lost (this process stalled past the lease), the run stops and the new holder goes on.
    if (!(await storage.takeLease(LEASE_NAME, pages.holder, options.now().getTime(), pages.leaseMs))) return false;
  }
}

const isLinked = (due: DueCard): due is DueCard & LinkedCard => due.firstIssuedAt !== null;

/**
 * Cards a page read that were not due after all are not read again before they are: one with no valid derived
 * credential leaves the schedule until one is issued for it; one never checked whose earliest credential was revoked
 * or expired waits for its earliest valid one's first-check time.
 */
async function keepToSchedule(options: RunOptions, page: readonly DueCard[], at: number): Promise<void> {
  const unlinked = page.filter((due) => !isLinked(due)).map((due) => due.card.id);
  if (unlinked.length > 0) await options.storage.unscheduleUnlinkedCards(unlinked, at);
  const early = page
    .filter(isLinked)
    .filter((due) => due.eligibility === null && !isDue(due, at, options.settings))
    .map((due) => ({ cardId: due.card.id, firstIssuedAt: due.firstIssuedAt }));
  if (early.length > 0) await options.storage.delayFirstChecks(early);
}

/** Checks the due cards of one page and records the verdicts; returns the revoked cards whose policy is still to apply. */
async function checkPage(
  options: RunOptions,
  page: readonly LinkedCard[],
  check: CardChecker,
  at: number,
  run: CardMonitorRun,
  unknownReasons: Map<string, number>,
): Promise<Array<[CardRecord, CardVerdict]>> {
  const records: CardEligibilityRecord[] = [];
  const audit: AuditEntryInput[] = [];
  const toAct: Array<[CardRecord, CardVerdict]> = [];
  for (const { card, eligibility, firstIssuedAt } of page) {
    if (eligibility?.verdict === 'revoked') {
      // Found revoked earlier, its policy not applied yet (the action failed, or the process stopped in between).
      if (eligibility.actionDoneAt === null) toAct.push([card, { verdict: 'revoked', detail: eligibility.detail }]);
      continue;
    }
    if (!isDue({ card, eligibility, firstIssuedAt }, at, options.settings)) continue;
    const verdict = await check(card);
    run.checked += 1;
    run[verdict.verdict] += 1;
    records.push({
      cardId: card.id,
      checkedAt: at,
      verdict: verdict.verdict,
      detail: verdict.detail,
      nextCheckAt: nextCheckAt(verdict.verdict, at, options.settings),
      unknownSince: verdict.verdict === 'unknown' ? (eligibility?.unknownSince ?? at) : null,
      actionDoneAt: null,
    });
    if (verdict.verdict === 'unknown')
      unknownReasons.set(verdict.detail, (unknownReasons.get(verdict.detail) ?? 0) + 1);
    if (verdict.verdict === 'revoked') {
      audit.push({
        at,
        event: 'card-eligibility',
        outcome: 'success',
        code: 'card-revoked',
        details: {
          cardId: card.id,
          cardIssuer: card.issuerDn,
          cardSerial: card.serialNumberHex,
          source: verdict.detail.slice(0, 200),
          policy: options.policy,
        },
      });
      toAct.push([card, verdict]);
    }
  }
  if (records.length > 0) await options.storage.recordCardEligibility(records, audit);
  return toAct;
}

async function applyPolicy(
  options: RunOptions,
  card: CardRecord,
  verdict: CardVerdict,
  run: CardMonitorRun,
): Promise<void> {
  try {
    await options.onCardRevoked(card, verdict, options.policy);
  } catch (error) {
    run.actionsFailed += 1;
    options.warn(
      `card monitor: the policy "${options.policy}" for revoked card ${card.id} failed (retried next run): ${messageOf(error)}`,
    );
    return;
  }
  const at = options.now().getTime();
  await options.storage.markCardEligibilityActionDone(card.id, at, {
    at,
    event: 'card-eligibility-action',
    outcome: 'success',
    code: options.policy,
    details: { cardId: card.id, cardSerial: card.serialNumberHex },
  });
  run.actionsDone += 1;
}

/** One audit row and one log line per run that left cards without an answer (never one per card: a stale CRL is many). */
async function flagUnknown(
  options: CardMonitorOptions,
  at: number,
  run: CardMonitorRun,
  reasons: ReadonlyMap<string, number>,
): Promise<void> {
  const told = [...reasons.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, REASONS_TOLD)
    .map(([reason, cards]) => `${cards} × ${reason}`);
  const summary = told.join(' | ').slice(0, 1000);
  await options.storage.appendAudit({
    at,
    event: 'card-eligibility',
    outcome: 'failure',
    code: 'revocation-unavailable',
    details: { cards: run.unknown, reasons: summary },
  });
  options.warn(
    `card monitor: ${run.unknown} card(s) without a current revocation answer, flagged and not acted on: ${summary}`,
  );
}

/**
 * Policy `flag` leaves credentials of revoked cards active: the administrator must decide on each (account ended →
 * revoke). One log line per run (a mass revocation is one line, not thousands); the audit names every card.
 */
function tellAdministratorOfFlagged(options: CardMonitorOptions, cards: number): void {
  options.warn(
    `card monitor: ${cards} card(s) found revoked and flagged (tenant policy "flag"): their derived credentials stay ` +
      'active. Each card is in the audit (card-eligibility / card-revoked); revoke its credentials when the ' +
      'account ends: dck admin credentials revoke --person UUID --reason privilegeWithdrawn',
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

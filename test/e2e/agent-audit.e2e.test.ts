// The console's Audit screen end to end: Debian Chromium on the browser host (`dck agent --browser --demo`), the
// agent's virtual PIV card (Dana Desk) in a private pcscd, the real issuer over HTTPS. As a helpdesk agent, Dana
// looks a person up (an agent action the audit records) and has no Audit tab; given the auditor role, she signs in
// again and sees that action in the audit, filters it, views its older page (the same search: one audit row, not one
// per page), and exports the filter as JSON lines and as CSV (the downloaded files are read back and checked: the
// same rows, no PIN); with the role withdrawn, the issuer refuses the next search and the screen says so. Screenshots in English and Dutch (test-output/screenshots/agent-audit-*.png),
// each checked by axe.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { AuditRow } from '../../contracts/agent-api.ts';
import { ensureRendererBuilt } from '../../build/renderer-build.ts';
import { startDemoConsole } from '../../demo/demo-console.ts';
import type { DemoConsole } from '../../demo/demo-console.ts';
import { agentIdentityKey, grantAgentRole, withdrawAgentRole } from '../../issuer/agent/agent-roles.ts';
import { AUDIT_PAGE_DEFAULT } from '../../issuer/agent/audit-search.ts';
import { DEMO_PIN } from '../../virtual-card/profiles.ts';
import { chromiumAvailable, launchChromium } from './support/chromium.ts';
import { agentCard, openDesktopApp, pullAndReinsert, screenShooters, signIn } from './support/console-page.ts';
import { waitForTitle } from './support/kiosk-page.ts';
import type { Lang } from './support/kiosk-page.ts';

const T = {
  en: {
    pin: 'Enter your PIN',
    locked: 'Insert your agent card',
    people: 'Look up a person',
    audit: 'Audit log',
    apply: 'Apply filter',
    older: 'Load more',
  },
  nl: {
    pin: 'Voer uw pincode in',
    locked: 'Plaats uw medewerkerspas',
    people: 'Persoon opzoeken',
    audit: 'Auditlogboek',
    apply: 'Filter toepassen',
    older: 'Meer laden',
  },
} as const;
const SEARCHED = 'pat persoon';

const runs = chromiumAvailable();
let agentConsole: DemoConsole;
let browser: Browser;

const { shoot } = screenShooters('agent-audit', 'agent audit');
const openConsole = (lang: Lang): Promise<Page> =>
  openDesktopApp(browser, agentConsole.console.host, lang, { acceptDownloads: true });

function auditorRole(change: 'grant' | 'withdraw'): Promise<boolean> {
  const uuid = agentConsole.demo.virtualCard?.identity.uuid ?? '';
  const act = change === 'grant' ? grantAgentRole : withdrawAgentRole;
  return act(
    agentConsole.demo.issuer.storage,
    agentIdentityKey('uuid', uuid),
    'auditor',
    { kind: 'admin', id: 'e2e' },
    new Date(),
  );
}

/** Lookups an older page is made of, beyond the newest page's AUDIT_PAGE_DEFAULT rows. */
const OLDER_PAGE_SEED = AUDIT_PAGE_DEFAULT + 5;

/** An agent-lookup row as the issuer writes it (issuer/agent/person-lookup.ts), straight into its audit. */
function seedLookup(i: number): Promise<void> {
  return agentConsole.demo.issuer.storage.appendAudit({
    at: Date.now(),
    event: 'agent-lookup',
    outcome: 'success',
    code: null,
    details: { query: `busy desk ${i}`, cards: 0, cardIds: '' },
  });
}

/** The audit rows that record an audit search (each one an auditor's act). */
async function auditSearches(): Promise<number> {
  const rows = await agentConsole.demo.issuer.storage.listAudit(0, 100_000);
  return rows.filter((row) => row.event === 'agent-audit-search').length;
}

/** Clicks an export button and reads the file Chromium downloaded. */
async function download(page: Page, button: string): Promise<{ name: string; text: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  const text = await readFile(await file.path(), 'utf8');
  // Deleted here, while its context is open: Playwright would otherwise clean it up as the context closes.
  await file.delete();
  return { name: file.suggestedFilename(), text };
}

beforeAll(async () => {
  if (!runs) return;
  await ensureRendererBuilt();
  agentConsole = await startDemoConsole({ roles: ['helpdesk'] });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await agentConsole?.stop();
});

describe.skipIf(!runs)('the Audit screen in Chromium (browser host, virtual agent card, real issuer)', () => {
  it('a helpdesk agent has no Audit tab; an auditor sees, filters and exports the agent actions; withdrawn → refused', async () => {
    const page = await openConsole('en');
    await signIn(page, T.en);
    await expect.poll(() => page.getByRole('button', { name: 'Audit', exact: true }).count()).toBe(0);
    await page.getByRole('searchbox').fill(SEARCHED);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText(`Nobody matches “${SEARCHED}”.`).waitFor();

    // The auditor role takes effect at the next sign-in (the console's tabs follow the roles it signed in with).
    await auditorRole('grant');
    await pullAndReinsert(page, agentCard(agentConsole.demo), T.en);
    await signIn(page, T.en);
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    await waitForTitle(page, T.en.audit);
    const lookup = page.getByRole('row').filter({ hasText: 'agent-lookup' }).filter({ hasText: SEARCHED });
    await lookup.first().waitFor();
    expect(await lookup.first().innerText()).toMatch(/Dana Desk/);
    await shoot(page, 'en', 'rows');

    // More lookups than one page holds (as a busy help desk makes them), so the filter has an older page.
    for (let i = 0; i < OLDER_PAGE_SEED; i += 1) await seedLookup(i);
    await page.getByLabel('Action').fill('agent-lookup');
    await page.getByRole('button', { name: T.en.apply }).click();
    await expect
      .poll(async () => {
        const actions = await page.locator('tbody tr td:nth-child(3)').allInnerTexts();
        return actions.length === AUDIT_PAGE_DEFAULT && actions.every((a) => a === 'agent-lookup');
      })
      .toBe(true);
    await shoot(page, 'en', 'filtered');

    // "Load more" shows the older page of the same search: the issuer's audit keeps one row for the search, not one
    // per page viewed (the console sends the page's cursor).
    const searchesBefore = await auditSearches();
    await page.getByRole('button', { name: T.en.older }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBeGreaterThan(AUDIT_PAGE_DEFAULT);
    await page.getByRole('row').filter({ hasText: SEARCHED }).first().scrollIntoViewIfNeeded();
    expect(await auditSearches()).toBe(searchesBefore);
    const shownRows = await page.locator('tbody tr').count();
    expect((await page.locator('tbody tr td:nth-child(3)').allInnerTexts()).every((a) => a === 'agent-lookup')).toBe(
      true,
    );
    await shoot(page, 'en', 'older');

    const jsonl = await download(page, 'Export as JSON lines');
    expect(jsonl.name).toMatch(/^audit-\d{8}-\d{6}\.jsonl$/);
    const rows = jsonl.text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as AuditRow);
    expect(rows.length).toBeGreaterThanOrEqual(shownRows);
    expect(rows.every((row) => row.action === 'agent-lookup')).toBe(true);
    expect(rows.some((row) => row.target === SEARCHED && row.agent?.name === 'Dana Desk')).toBe(true);
    await page
      .getByRole('status')
      .filter({ hasText: /Exported \d+ rows? to audit-/ })
      .waitFor();

    const csv = await download(page, 'Export as CSV');
    expect(csv.name).toMatch(/^audit-\d{8}-\d{6}\.csv$/);
    const records = csv.text.split('\r\n').filter((line) => line !== '');
    expect(records[0]).toBe(
      '"time","agent","agent card","action","outcome","code","target","note","sequence","chain","chain position","details"',
    );
    expect(records).toHaveLength(rows.length + 1);
    expect(records.slice(1).every((record) => record.includes('"agent-lookup"'))).toBe(true);
    // The agent's PIN went to the card only: no audit row, and so no export, carries it.
    for (const text of [jsonl.text, csv.text]) expect(text).not.toContain(DEMO_PIN);
    await shoot(page, 'en', 'exported');

    const nl = await openConsole('nl');
    await waitForTitle(nl, T.nl.people);
    await nl.getByRole('button', { name: 'Audit', exact: true }).click();
    await waitForTitle(nl, T.nl.audit);
    await nl.getByRole('row').filter({ hasText: 'agent-lookup' }).first().waitFor();
    await shoot(nl, 'nl', 'rows');
    await nl.context().close();

    // The issuer is the gate: with the role withdrawn, the next search is refused although the tab is still there.
    await auditorRole('withdraw');
    await page.getByRole('button', { name: T.en.apply }).click();
    await page.getByRole('alert').filter({ hasText: 'Your role cannot do this.' }).waitFor();
    await shoot(page, 'en', 'refused');
    // The context closed and awaited here: one left closing while afterAll closes the browser rejects unhandled.
    await page.context().close();
  }, 180_000);
});

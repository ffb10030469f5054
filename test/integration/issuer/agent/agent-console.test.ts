// The agent console's routes through the real issuer on loopback HTTPS (real SQLite, the real PKI-AUTH verifier; on
// PostgreSQL: agent-console.postgres.test.ts):
// an agent signs in with their own card, a person's card is refused, roles are checked on every call and changed
// by the administrator in the database (as `dck admin agents` does, from another connection), a revocation reaches
// the CRL that OpenSSL checks, the queue's event stream shows a new enrollment, sign-out ends the token, and under
// supervised issuance the phone client waits until an agent affirms its key's fingerprint.
import { Agent, request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentRevocationOutcome, AgentRole, AuditPage, PersonLookup } from '../../../../contracts/agent-api.ts';
import type { ConsoleAuditFilter } from '../../../../contracts/console-api.ts';
import { ISSUER_API } from '../../../../contracts/issuer-routes.ts';
import { connectToIssuer } from '../../../../contracts/issuer-caller.ts';
import { agentIdentityKey, grantAgentRole } from '../../../../issuer/agent/agent-roles.ts';
import { parseIssuerConfig } from '../../../../issuer/config.ts';
import { changeTenantSettings } from '../../../../issuer/lifecycle/tenant-settings.ts';
import { pollTokenOnce, redeemEnrollment, startDeviceAuthorization } from '../../../../phone/phone-client.ts';
import type { IssuerStorage } from '../../../../issuer/storage/issuer-storage.ts';
import { openConfiguredStorage } from '../../../../issuer/storage/open-storage.ts';
import type { IssuedCardCertificate } from '../../../../virtual-card/test-pki.ts';
import { approve, kioskSignIn, phoneStart, startHarness } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';
import { issueCredential, opensslVerify, relyingPartyFiles } from '../lifecycle/lifecycle-fixture.ts';
import { collectAuditRows } from '../../../../main/console/audit-export.ts';
import { agentSignIn as signInAgent } from './agent-fixture.ts';

let h: IssuerHarness;
/** The administrator's own connection to the issuer's database (as `dck admin` opens it). */
let admin: IssuerStorage;
let agentCard: IssuedCardCertificate;
let personCard: IssuedCardCertificate;

const card = (name: string, fascnByte: string) =>
  h.pki.issueCardCertificate({ keyAlgorithm: 'P-256', commonName: name, fascn: `${fascnByte}${'0'.repeat(48)}` });

async function grant(holder: IssuedCardCertificate, role: AgentRole): Promise<void> {
  await grantAgentRole(admin, agentIdentityKey('uuid', holder.uuid), role, { kind: 'admin', id: 'it' }, new Date());
}

/** PKI-AUTH through the agent route (agent-fixture.ts). */
const agentSignIn = (holder: IssuedCardCertificate) => signInAgent(h, holder);

beforeAll(async () => {
  h = await startHarness();
  admin = await openConfiguredStorage(h.issuer.config.storage, h.dataDir);
  agentCard = await card('Hal Helpdesk', 'd7');
  personCard = await card('Pat Person', 'd8');
});
afterAll(async () => {
  await admin.close();
  await h.close();
});

describe('agent console over HTTPS', () => {
  it("a person's card gets 403 at agent sign-in; the agent's card, once given a role, gets a session", async () => {
    const refused = await agentSignIn(personCard);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('agent-role-missing');
    await grant(agentCard, 'helpdesk');
    const session = await agentSignIn(agentCard);
    expect(session.status).toBe(200);
    expect(session.body.agent).toEqual({ name: 'Hal Helpdesk', roles: ['helpdesk'] });
  });

  it('look-up, 403 where only an approver may act, revocation that OpenSSL then refuses, sign-out', async () => {
    const credential = await issueCredential(h, { card: personCard, deviceId: 'phone-1' });
    const token = (await agentSignIn(agentCard)).body.sessionToken;
    const found = await h.http.route<'agentPeople', PersonLookup>('agentPeople', {
      query: { q: 'pat pers' },
      bearer: token,
    });
    expect(found.status).toBe(200);
    expect(found.body.people[0]?.credentials[0]).toMatchObject({
      serialNumberHex: credential.serialNumberHex,
      state: 'active',
    });
    const hostile = await h.http.send('GET', `${ISSUER_API.agentPeople.path}?q=${'x'.repeat(129)}`, {
      bearer: token,
    });
    expect(hostile.status).toBe(400);

    const approveAsHelpdesk = await h.http.route('agentApproveRevocation', {
      params: { requestId: 'A'.repeat(22) },
      body: { note: 'not mine to approve' },
      bearer: token,
    });
    expect(approveAsHelpdesk.status).toBe(403);
    expect(approveAsHelpdesk.body.error).toBe('agent-forbidden');

    const revoked = await h.http.route<'agentRevokeCredential', AgentRevocationOutcome>('agentRevokeCredential', {
      params: { serialNumberHex: credential.serialNumberHex },
      body: { reason: 'keyCompromise', note: 'phone stolen' },
      bearer: token,
    });
    expect(revoked.body).toEqual({ outcome: 'revoked', revoked: [credential.serialNumberHex], requestId: null });
    const rp = await relyingPartyFiles(h);
    const verdict = await opensslVerify(rp.caFile, rp.crlFile, credential.certificateFile);
    expect(verdict.ok).toBe(false);
    expect(verdict.output).toMatch(/certificate revoked/);

    expect((await h.http.route('agentSignOut', { bearer: token })).status).toBe(204);
    const after = await h.http.route('agentQueue', { bearer: token });
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('agent-session-invalid');
  });

  it('the queue event stream shows an enrollment started at a kiosk', async () => {
    const token = (await agentSignIn(agentCard)).body.sessionToken;
    const agent = new Agent({ ca: h.issuer.tlsCertificatePem });
    let received = '';
    let onData = (): void => undefined;
    const opened = new Promise<void>((resolve, reject) => {
      const stream = request(
        new URL(ISSUER_API.agentQueueEvents.path, h.issuer.url),
        { agent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          expect(res.statusCode).toBe(200);
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            received += chunk;
            onData();
          });
          resolve();
        },
      );
      stream.on('error', reject);
      stream.end();
    });
    await opened;
    const device = await phoneStart(h.http);
    const session = await kioskSignIn(h.http, personCard);
    const approved = await approve(h.http, session.sessionToken, device.user_code);
    expect(approved.status).toBe(201);
    const entry = `{"enrollmentId":"${approved.body.enrollmentId}","personName":"Pat Person","kioskId":"kiosk-1","step":"awaiting-phone"`;
    await new Promise<void>((resolve) => {
      onData = () => {
        if (received.includes(entry)) resolve();
      };
      onData();
    });
    expect(received).toMatch(/^event: queue\ndata: /);
    agent.destroy();
  });

  it('supervised issuance: the phone (phone-client) waits with its fingerprint, an agent affirms it, the phone gets its certificate', async () => {
    await changeTenantSettings(
      admin,
      parseIssuerConfig({}),
      { supervision: 'agent-affirms' },
      { kind: 'admin', id: 'it' },
      new Date(),
    );
    // The issuer re-reads tenant settings at most every 5 s.
    await new Promise((resolve) => setTimeout(resolve, 5_100));
    const token = (await agentSignIn(agentCard)).body.sessionToken;
    const connected = connectToIssuer(h.issuer.url, h.issuer.tlsCertificatePem);
    if (!connected.ok) throw new Error(connected.message);
    const connection = connected.connection;
    const flow = await startDeviceAuthorization(connection);
    if (!flow.ok) throw new Error(flow.message);
    const session = await kioskSignIn(h.http, personCard);
    const approved = await approve(h.http, session.sessionToken, flow.value.userCode);
    expect(approved.status).toBe(201);
    const polled = await pollTokenOnce(connection, flow.value, flow.value.intervalSeconds);
    if (!polled.ok || polled.value.state !== 'granted') throw new Error('no token');
    const told: string[] = [];
    const affirmations: Promise<number>[] = [];
    const result = await redeemEnrollment(connection, {
      token: polled.value.token,
      qrPayload: approved.body.qrPayload,
      otp: Buffer.from(approved.body.otp),
      onAffirmationPending: (message) => {
        told.push(message);
        const fingerprint = /Key fingerprint ([0-9A-F-]{19})/.exec(message)?.[1] ?? '';
        const affirmed = h.http
          .route('agentAffirmEnrollment', {
            params: { enrollmentId: approved.body.enrollmentId },
            body: { fingerprint, note: 'fingerprint read out by the person' },
            bearer: token,
          })
          .then((answer) => answer.status);
        affirmations.push(affirmed);
      },
    });
    connection.close();
    expect(told).toHaveLength(1);
    expect(await Promise.all(affirmations)).toEqual([204]);
    expect(result.ok).toBe(true);
  });
  it('the audit: an auditor reads and filters it, a helpdesk agent is refused, hostile filters are a clear 400', async () => {
    await grant(agentCard, 'helpdesk'); // held already (the first test): a no-op, so this test runs alone too
    const helpdeskToken = (await agentSignIn(agentCard)).body.sessionToken;
    const refused = await h.http.route('agentAudit', { query: {}, bearer: helpdeskToken });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('agent-forbidden');
    const auditorCard = await card('Aude Auditor', 'd9');
    await grant(auditorCard, 'auditor');
    const token = (await agentSignIn(auditorCard)).body.sessionToken;
    const page = await h.http.route<'agentAudit', AuditPage>('agentAudit', {
      query: { agent: 'hal', outcome: 'failure' },
      bearer: token,
    });
    expect(page.status).toBe(200);
    expect(page.body.rows[0]).toMatchObject({ action: 'agent-forbidden', agent: { name: 'Hal Helpdesk' } });
    const first = await h.http.route<'agentAudit', AuditPage>('agentAudit', { query: { limit: 1 }, bearer: token });
    expect(first.body.rows).toHaveLength(1);
    expect(first.body.nextBefore).toBe(first.body.rows[0]?.sequence);
    const path = ISSUER_API.agentAudit.path;
    for (const [query, error, words] of [
      [`target=${'x'.repeat(5000)}`, 'bad-request', /target/],
      ['evil=1', 'bad-request', /evil/],
      ['limit=100000', 'bad-request', /limit/],
      ['before=1%20OR%201%3D1', 'bad-request', /before/],
      [`action=${encodeURIComponent("x' OR 1=1 --")}`, 'audit-filter-invalid', /action$/],
      ['from=2026-02-30', 'audit-filter-invalid', /from$/],
    ] as const) {
      const hostile = await h.http.send('GET', `${path}?${query}`, { bearer: token });
      expect(hostile.status, query.slice(0, 40)).toBe(400);
      expect(hostile.body, `${query.slice(0, 40)}: ${JSON.stringify(hostile.body)}`).toMatchObject({
        error,
        message: expect.stringMatching(words) as unknown,
      });
    }
  });

  it('an export of several pages, as the console makes it, is one audited search', async () => {
    const auditorCard = await card('Exa Exporter', 'da');
    await grant(auditorCard, 'auditor');
    await grant(agentCard, 'helpdesk'); // held already (the first test): a no-op, so this test runs alone too
    const token = (await agentSignIn(auditorCard)).body.sessionToken;
    const helpdeskToken = (await agentSignIn(agentCard)).body.sessionToken;
    for (let i = 0; i < 205; i += 1)
      await h.http.route('agentPeople', { query: { q: `export ${i}` }, bearer: helpdeskToken });
    const searches = async () =>
      (await admin.listAudit(0, 100_000)).filter((row) => row.event === 'agent-audit-search').length;
    const before = await searches();
    const pages: number[] = [];
    const filter: ConsoleAuditFilter = { agent: '', action: 'agent-lookup', target: '', outcome: '', from: '', to: '' };
    const collected = await collectAuditRows(filter, async (query) => {
      const page = await h.http.route<'agentAudit', AuditPage>('agentAudit', { query, bearer: token });
      pages.push(page.status);
      return page.status === 200 ? { ok: true, value: page.body } : { ok: false, error: { code: String(page.status) } };
    });
    expect(collected.ok && collected.value.rows.length).toBeGreaterThanOrEqual(205);
    expect(pages).toEqual([200, 200]);
    expect(await searches()).toBe(before + 1);
  });
});

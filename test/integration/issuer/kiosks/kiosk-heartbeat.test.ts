// Kiosk identity and heartbeat against the real issuer (HTTPS, real SQLite) with the kiosk's real main-process code:
// its key pair generated into a data directory (private key 0600), registered by an administrator, heartbeats signed
// and sent through the kiosk's issuer client; `listKiosks` shows last-seen and problems. Hostile bodies: unknown
// kiosk, forged signature, a heartbeat replayed, one too old, a revoked kiosk, wrong types, oversized lists: each a
// clear refusal, nothing recorded, an audit row.
import 'reflect-metadata';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KioskHeartbeatReport } from '../../../../contracts/kiosk-heartbeat.ts';
import { ISSUER_API } from '../../../../contracts/issuer-routes.ts';
import { registerKiosk, revokeKiosk } from '../../../../issuer/kiosks/kiosk-registry.ts';
import { kioskProblemText, listKiosks } from '../../../../issuer/kiosks/list-kiosks.ts';
import { signedHeartbeat } from '../../../../main/heartbeat/kiosk-heartbeat.ts';
import { loadOrCreateKioskIdentity } from '../../../../main/identity/kiosk-identity.ts';
import type { KioskIdentity } from '../../../../main/identity/kiosk-identity.ts';
import { HttpsIssuerClient } from '../../../../main/issuer-client/https-issuer-client.ts';
import { startHarness } from '../issuer-fixture.ts';
import type { IssuerHarness } from '../issuer-fixture.ts';

const REPORT: KioskHeartbeatReport = {
  reader: 'no-card',
  cardService: 'running',
  lastErrors: [],
  appVersion: '0.1.0',
};
const PATH = ISSUER_API.kioskHeartbeat.path;

let h: IssuerHarness;
let client: HttpsIssuerClient;
let kioskDir: string;
let lobby: KioskIdentity;

beforeAll(async () => {
  h = await startHarness();
  client = new HttpsIssuerClient({ baseUrl: h.issuer.url, trustedCaPem: h.issuer.tlsCertificatePem });
  kioskDir = mkdtempSync(join(tmpdir(), 'dck-kiosk-identity-'));
  lobby = loadOrCreateKioskIdentity(join(kioskDir, 'lobby', 'kiosk.key.pem'), 'lobby-1');
  await registerKiosk(h.issuer.storage, 'lobby-1', lobby.publicKeyPem, 'admin:test', new Date());
});
afterAll(async () => {
  client.close();
  await h.close();
  rmSync(kioskDir, { recursive: true, force: true });
});

const refusals = async (code: string) =>
  (await h.issuer.storage.listAudit(0, 100_000)).filter((row) => row.event === 'kiosk-heartbeat' && row.code === code);

describe('kiosk identity', () => {
  it('is generated once, private key 0600, and loads the same key again', () => {
    expect(statSync(join(kioskDir, 'lobby', 'kiosk.key.pem')).mode & 0o777).toBe(0o600);
    const again = loadOrCreateKioskIdentity(join(kioskDir, 'lobby', 'kiosk.key.pem'), 'lobby-1');
    expect(again.fingerprint).toBe(lobby.fingerprint);
    expect(lobby.fingerprint).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
  });
});

describe('kiosk heartbeat', () => {
  it('a registered kiosk reports; listKiosks shows it seen, with its problems; a stale one is a problem', async () => {
    const before = await listKiosks(h.issuer.storage, new Date());
    expect(before.find((k) => k.name === 'lobby-1')?.problems).toEqual([{ kind: 'never-seen' }]);
    const report: KioskHeartbeatReport = {
      ...REPORT,
      reader: 'no-reader',
      lastErrors: [{ at: Date.now() - 5000, code: 'pcsc-unavailable' }],
    };
    const answer = await client.heartbeat(signedHeartbeat(lobby, report, new Date()));
    expect(answer).toEqual({ ok: true, value: null });
    const [seen] = (await listKiosks(h.issuer.storage, new Date())).filter((k) => k.name === 'lobby-1');
    expect(seen?.lastSeenAt).not.toBeNull();
    expect(seen?.report).toEqual(report);
    expect(seen?.problems.map(kioskProblemText)).toEqual([
      'reader-no-reader',
      expect.stringMatching(/^error pcsc-unavailable at /),
    ]);
    const later = await listKiosks(h.issuer.storage, new Date(Date.now() + 10 * 60_000));
    expect(later.find((k) => k.name === 'lobby-1')?.problems.map(kioskProblemText)[0]).toMatch(
      /^heartbeat-stale \(60\d s\)$/,
    );
  });

  it('refuses a replayed heartbeat (409), records nothing, audits it', async () => {
    const heartbeat = signedHeartbeat(lobby, REPORT, new Date());
    expect((await client.heartbeat(heartbeat)).ok).toBe(true);
    const seenAt = (await h.issuer.storage.findKiosk('lobby-1'))?.lastSeenAt;
    const replay = await h.http.send('POST', PATH, { json: heartbeat });
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ error: 'kiosk-request-replayed' });
    expect((await h.issuer.storage.findKiosk('lobby-1'))?.lastSeenAt).toBe(seenAt);
    expect(await refusals('kiosk-request-replayed')).toHaveLength(1);
  });

  it('refuses a forged signature (another key under the registered name) and a changed report', async () => {
    const impostor = loadOrCreateKioskIdentity(join(kioskDir, 'impostor', 'kiosk.key.pem'), 'lobby-1');
    const forged = await h.http.send('POST', PATH, { json: signedHeartbeat(impostor, REPORT, new Date()) });
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ error: 'kiosk-signature-invalid' });
    const genuine = signedHeartbeat(lobby, REPORT, new Date(Date.now() + 1000));
    const changed = await h.http.send('POST', PATH, {
      json: { ...genuine, report: { ...genuine.report, cardService: 'unavailable' } },
    });
    expect(changed.status).toBe(401);
    expect(await refusals('kiosk-signature-invalid')).toHaveLength(2);
  });

  it('refuses an unknown kiosk (401) and one sent too long ago (401), with audit rows', async () => {
    const stranger = loadOrCreateKioskIdentity(join(kioskDir, 'stranger', 'kiosk.key.pem'), 'stranger-9');
    const unknown = await h.http.send('POST', PATH, { json: signedHeartbeat(stranger, REPORT, new Date()) });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ error: 'kiosk-unknown' });
    const old = await h.http.send('POST', PATH, {
      json: signedHeartbeat(lobby, REPORT, new Date(Date.now() - 5 * 60_000)),
    });
    expect(old.status).toBe(401);
    expect(old.body).toMatchObject({ error: 'kiosk-request-stale' });
    expect(await refusals('kiosk-unknown')).toHaveLength(1);
    expect(await refusals('kiosk-request-stale')).toHaveLength(1);
  });

  it('refuses wrong types, free text and oversized lists (400) before looking at the kiosk', async () => {
    const good = signedHeartbeat(lobby, REPORT, new Date(Date.now() + 2000));
    const hostile = [
      { ...good, sentAt: String(good.sentAt) },
      { ...good, report: { ...good.report, reader: 'Alice Example inserted her card' } },
      { ...good, report: { ...good.report, lastErrors: [{ at: 1, code: 'PIN 123456 was wrong' }] } },
      {
        ...good,
        report: { ...good.report, lastErrors: Array.from({ length: 6 }, (_, i) => ({ at: i, code: 'x' })) },
      },
      { ...good, signature: 'A'.repeat(200) },
      { ...good, extra: true },
    ];
    for (const body of hostile) expect((await h.http.send('POST', PATH, { json: body })).status).toBe(400);
    const huge = await h.http.send('POST', PATH, { raw: JSON.stringify({ ...good, pad: 'x'.repeat(64 * 1024) }) });
    expect(huge.status).toBe(413);
  });

  it('refuses a revoked kiosk (403) with an audit row', async () => {
    await revokeKiosk(h.issuer.storage, 'lobby-1', 'admin:test', new Date());
    const answer = await client.heartbeat(signedHeartbeat(lobby, REPORT, new Date(Date.now() + 3000)));
    expect(answer).toMatchObject({ ok: false, error: { code: 'kiosk-revoked' } });
    expect(await refusals('kiosk-revoked')).toHaveLength(1);
    expect((await listKiosks(h.issuer.storage, new Date())).find((k) => k.name === 'lobby-1')?.problems).toEqual([
      { kind: 'revoked' },
    ]);
  });
});

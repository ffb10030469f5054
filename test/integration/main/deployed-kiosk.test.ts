// A deployed kiosk starts from its configuration file only: a good file gives a kiosk on the named issuer with the
// file's languages and help URL, and no demo (no virtual card); a missing or bad file gives the out-of-order
// screen, with the field in the log, and refuses every call (a PIN handed in is still wiped). With a key file, the
// kiosk makes its key pair and sends its signed heartbeat, which the issuer takes once an administrator registered it.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KioskView } from '../../../contracts/kiosk-api.ts';
import { startDemoEnvironment } from '../../../demo/demo-environment.ts';
import type { DemoEnvironment } from '../../../demo/demo-environment.ts';
import { registerKiosk } from '../../../issuer/kiosks/kiosk-registry.ts';
import { listKiosks } from '../../../issuer/kiosks/list-kiosks.ts';
import { startDeployedKiosk } from '../../../main/runtime/deployed-kiosk.ts';
import type { KioskService } from '../../../main/runtime/kiosk-runtime.ts';

const dir = mkdtempSync(join(tmpdir(), 'dck-deployed-'));
let demo: DemoEnvironment;
const services: KioskService[] = [];

beforeAll(async () => {
  // Only its issuer is used (as a stand-in for the organisation's); no virtual card, no private pcscd.
  demo = await startDemoEnvironment({ virtualCard: 'never' });
  writeFileSync(join(dir, 'issuer-ca.pem'), demo.issuer.tlsCertificatePem);
});

afterAll(async () => {
  for (const service of services) await service.stop();
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function firstView(service: KioskService): Promise<KioskView> {
  return new Promise((resolve) => {
    const unsubscribe = service.onView((view) => {
      unsubscribe();
      resolve(view);
    });
  });
}

async function start(config: unknown, logs: string[] = []): Promise<KioskService> {
  const configFile = join(dir, `kiosk-${services.length}.json`);
  if (config !== undefined) writeFileSync(configFile, JSON.stringify(config));
  const service = await startDeployedKiosk({
    configFile,
    log: (event, fields) => logs.push(JSON.stringify({ event, ...fields })),
    cardPort: () => demo.card,
  });
  services.push(service);
  return service;
}

describe('startDeployedKiosk', () => {
  it("runs the kiosk on the configured issuer, with the file's settings and no demo card", async () => {
    const service = await start({
      issuer: { url: demo.issuer.url, caFile: join(dir, 'issuer-ca.pem') },
      kiosk: { name: 'lobby-1' },
      languages: ['nl'],
      idleSeconds: 90,
      helpUrl: 'https://help.example.org/kiosk',
      tenant: {
        organisation: { name: 'Example Agency', perLanguage: { nl: 'Voorbeeldagentschap' } },
        phoneApp: {
          name: 'Derived Credentials',
          storeLinks: { googlePlay: 'https://play.google.com/store/apps/details?id=x' },
        },
        helpDesk: { phone: '+31 70 123 4567', hours: 'ma–vr 8–17' },
      },
    });
    // The configuration is accepted; this test machine gives the kiosk no reader (no demo card), so the next person
    // is told the kiosk is out of order for that reason, not for its configuration.
    const view = await firstView(service);
    expect(view.screen).toBe('out-of-order');
    expect(view).not.toMatchObject({ reason: 'configuration' });
    const config = await service.handlers.getConfig();
    expect(config).toMatchObject({
      ok: true,
      value: { languages: ['nl'], defaultLanguage: 'nl', helpUrl: 'https://help.example.org/kiosk', idleSeconds: 90 },
    });
    // The tenant's texts reach the screens (over the issuer's display name).
    expect(config).toMatchObject({
      ok: true,
      value: {
        displayName: 'Example Agency',
        displayNames: { nl: 'Voorbeeldagentschap' },
        phoneApp: {
          name: 'Derived Credentials',
          storeLinks: [{ store: 'google-play', url: 'https://play.google.com/store/apps/details?id=x' }],
        },
        helpDesk: { phone: '+31 70 123 4567', hours: 'ma–vr 8–17' },
      },
    });
    expect(await service.handlers.useVirtualCard()).toMatchObject({
      ok: false,
      error: { code: 'virtual-card-unavailable' },
    });
  });

  it('shows the out-of-order screen when the file is missing, and logs which file', async () => {
    const logs: string[] = [];
    const service = await start(undefined, logs);
    expect(await firstView(service)).toEqual({ screen: 'out-of-order', reason: 'configuration' });
    expect(logs.join('\n')).toMatch(/"event":"kiosk-config-invalid".*"field":"\(file\)"/);
  });

  it('shows the out-of-order screen for a bad field, names it in the log, and refuses calls', async () => {
    const logs: string[] = [];
    const service = await start(
      {
        issuer: { url: 'http://plain.example.org', caFile: join(dir, 'issuer-ca.pem') },
        kiosk: { name: 'k' },
        helpUrl: 'https://h.example.org',
      },
      logs,
    );
    expect(await firstView(service)).toEqual({ screen: 'out-of-order', reason: 'configuration' });
    expect(logs.join('\n')).toMatch(/"field":"issuer\.url"/);
    const pin = new TextEncoder().encode('123456');
    expect(await service.handlers.submitPin(pin, { confirmLastTry: false })).toMatchObject({
      ok: false,
      error: { code: 'not-now' },
    });
    expect([...pin]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await service.handlers.useVirtualCard()).toMatchObject({
      ok: false,
      error: { code: 'virtual-card-unavailable' },
    });
  });

  it('with a key file: makes its key (0600), is refused until registered, then its heartbeat is seen', async () => {
    const keyFile = join(dir, 'identity', 'kiosk.key.pem');
    const config = {
      issuer: { url: demo.issuer.url, caFile: join(dir, 'issuer-ca.pem') },
      kiosk: { name: 'hall-2', keyFile },
      helpUrl: 'https://help.example.org/kiosk',
    };
    const logs: string[] = [];
    const unregistered = await start(config, logs);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    await expect.poll(() => logs.join('\n'), { timeout: 10_000 }).toMatch(/kiosk-heartbeat-failed.*kiosk-unknown/);
    expect(logs.join('\n')).toMatch(/"event":"kiosk-identity","kiosk":"hall-2","fingerprint":"([0-9a-f]{2}:){31}/);
    await unregistered.stop();
    const storage = demo.issuer.storage;
    await registerKiosk(storage, 'hall-2', readFileSync(`${keyFile}.pub.pem`, 'utf8'), 'admin:test', new Date());
    await start(config);
    await expect
      .poll(async () => (await listKiosks(storage, new Date())).find((kiosk) => kiosk.name === 'hall-2')?.lastSeenAt, {
        timeout: 10_000,
      })
      .not.toBeNull();
    const [hall] = (await listKiosks(storage, new Date())).filter((kiosk) => kiosk.name === 'hall-2');
    // This machine gives the kiosk no card service (as the first test shows): the help desk sees exactly that.
    expect(hall?.report).toMatchObject({ reader: 'unknown', cardService: 'unavailable', appVersion: 'unknown' });
    expect(hall?.report?.lastErrors.map((error) => error.code)).toEqual(['card-service-down']);
    expect(hall?.problems).toContainEqual({ kind: 'card-service-down', cardService: 'unavailable' });
  });
});

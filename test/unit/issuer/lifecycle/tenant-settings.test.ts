// Tenant settings on real SQLite: defaults from the config, changes audited with before and after, refusals change
// nothing, a value the rules no longer accept in the database falls back to the default.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseIssuerConfig } from '../../../../issuer/config.ts';
import {
  TenantSettingError,
  changeTenantSettings,
  readTenantSettings,
} from '../../../../issuer/lifecycle/tenant-settings.ts';
import type { IssuerStorage } from '../../../../issuer/storage/issuer-storage.ts';
import { T0, openTestStorage } from './seed-credentials.ts';

let storage: IssuerStorage;
const config = parseIssuerConfig({ displayName: 'Agency X', derivedCertificate: { lifetimeDays: 200 } });
const admin = { kind: 'admin', id: 'root' } as const;

beforeEach(() => {
  storage = openTestStorage().storage;
});
afterEach(async () => {
  await storage.close();
});

describe('tenant settings', () => {
  it("start from the config and the seed's defaults (80% renewal, revoke-derived)", async () => {
    expect(await readTenantSettings(storage, config)).toEqual({
      displayName: 'Agency X',
      helpUrl: null,
      notificationTypes: 'app',
      renewalThresholdPercent: 80,
      derivedCertificateLifetimeDays: 200,
      onCardRevoked: 'revoke-derived',
      pcSoftwareKeys: 'allow',
      validateCancellation: false,
      supervision: 'none',
      kioskSignatures: 'optional',
    });
  });

  it('the help-desk policies: four eyes on revocation (on/off) and supervision (none/agent-affirms)', async () => {
    const after = await changeTenantSettings(
      storage,
      config,
      { validateCancellation: 'on', supervision: 'agent-affirms' },
      admin,
      new Date(T0),
    );
    expect(after).toMatchObject({ validateCancellation: true, supervision: 'agent-affirms' });
    await expect(
      changeTenantSettings(storage, config, { validateCancellation: 'true' }, admin, new Date(T0)),
    ).rejects.toBeInstanceOf(TenantSettingError);
  });

  it('a change is stored and audited with who, before and after', async () => {
    const after = await changeTenantSettings(
      storage,
      config,
      { helpUrl: 'https://help.example.org/piv', onCardRevoked: 'flag', renewalThresholdPercent: '75' },
      admin,
      new Date(T0),
    );
    expect(after).toMatchObject({
      helpUrl: 'https://help.example.org/piv',
      onCardRevoked: 'flag',
      renewalThresholdPercent: 75,
    });
    const [row] = (await storage.listAudit(0, 10)).filter((entry) => entry.event === 'tenant-settings');
    expect(row?.details).toMatchObject({
      actor: 'root',
      'onCardRevoked.before': 'revoke-derived',
      'onCardRevoked.after': 'flag',
      'helpUrl.before': null,
    });
    expect((await changeTenantSettings(storage, config, { helpUrl: 'none' }, admin, new Date(T0))).helpUrl).toBeNull();
  });

  it.each([
    ['notificationTypes', 'sms'],
    ['renewalThresholdPercent', '100'],
    ['renewalThresholdPercent', '8O'],
    ['helpUrl', 'http://plain.example'],
    ['helpUrl', 'javascript:alert(1)'],
    ['displayName', 'two\nlines'],
    ['derivedCertificateLifetimeDays', '0'],
    ['colour', 'blue'],
    ['validateCancellation', 'yes'],
    ['supervision', 'phone-affirms'],
    ['kioskSignatures', 'always'],
  ])('refuses %s = %j, nothing changed', async (name, value) => {
    await expect(
      changeTenantSettings(storage, config, { onCardRevoked: 'flag', [name]: value }, admin, new Date(T0)),
    ).rejects.toBeInstanceOf(TenantSettingError);
    expect((await readTenantSettings(storage, config)).onCardRevoked).toBe('revoke-derived');
    expect((await storage.listAudit(0, 10)).filter((entry) => entry.event === 'tenant-settings')).toEqual([]);
  });

  it('a stored value the rules refuse reads as the default', async () => {
    await storage.writeTenantSettings({ renewalThresholdPercent: JSON.stringify('250') }, T0, {
      at: T0,
      event: 'test',
      outcome: 'success',
      code: null,
      details: {},
    });
    expect((await readTenantSettings(storage, config)).renewalThresholdPercent).toBe(80);
  });
});

// The `notifications` config section: defaults, and every bad value refused with the offending field named.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseIssuerConfig } from '../../../../issuer/config.ts';

const smtp = { host: 'smtp.agency.example', port: 587 };

function refusal(notifications: Record<string, unknown>): string {
  try {
    parseIssuerConfig({ notifications });
  } catch (error) {
    if (error instanceof ConfigError) return `${error.field}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('issuer config: notifications', () => {
  it('defaults to English and no mail server (channels and threshold are tenant settings)', () => {
    const { notifications } = parseIssuerConfig({});
    expect(notifications).toMatchObject({ language: 'en', from: null });
    expect(notifications).not.toHaveProperty('channels');
    expect(notifications).not.toHaveProperty('renewalThresholdPercent');
    expect(notifications.smtp).toBeUndefined();
    expect(notifications.ldap).toBeUndefined();
  });

  it('accepts a complete email setup and fills the SMTP and LDAP defaults', () => {
    const { notifications } = parseIssuerConfig({
      notifications: {
        from: 'notices@agency.example',
        smtp: { ...smtp, username: 'relay', passwordFile: '/etc/dck/smtp-password' },
        ldap: { url: 'ldaps://ldap.agency.example', baseDn: 'ou=people,dc=agency,dc=example' },
      },
    });
    expect(notifications.smtp).toMatchObject({ tls: 'starttls', timeoutSeconds: 30, passwordEnv: null });
    expect(notifications.ldap).toMatchObject({ uuidAttribute: 'employeeNumber', mailAttribute: 'mail', bindDn: null });
  });

  it.each([
    [
      { channels: 'email', from: 'notices@agency.example', smtp },
      'notifications.channels: issuer config: notifications.channels: no longer a config setting: it moved to the tenant setting notificationTypes: dck admin tenant set --notifications none|email|app|both',
    ],
    [
      { renewalThresholdPercent: 80 },
      'notifications.renewalThresholdPercent: issuer config: notifications.renewalThresholdPercent: no longer a config setting: it moved to the tenant setting renewalThresholdPercent: dck admin tenant set --renewal-threshold N',
    ],
    [{ smtp }, 'notifications.from: issuer config: notifications.from: required with smtp'],
    [
      { from: 'Notices <notices@agency.example>' },
      'notifications.from: issuer config: notifications.from: not a plain mail address',
    ],
    [
      { from: 'notices@agency.example\r\nBcc: x@y.example' },
      'notifications.from: issuer config: notifications.from: not a plain mail address',
    ],
    [
      { smtp: { ...smtp, username: 'relay' } },
      'notifications.smtp.passwordFile: issuer config: notifications.smtp.passwordFile: a username needs passwordFile or passwordEnv (the password is never in the config)',
    ],
    [
      { smtp: { ...smtp, passwordFile: '/a', passwordEnv: 'B' } },
      'notifications.smtp.passwordEnv: issuer config: notifications.smtp.passwordEnv: give passwordFile or passwordEnv, not both',
    ],
    [
      { smtp: { ...smtp, tls: 'none' } },
      'notifications.smtp.tls: issuer config: notifications.smtp.tls: "none" only for a relay on loopback',
    ],
    [
      { smtp: { ...smtp, password: 'in-the-config' } },
      'notifications.smtp.password: issuer config: notifications.smtp.password: unknown setting',
    ],
    [
      { ldap: { url: 'http://ldap.example', baseDn: 'dc=x' } },
      'notifications.ldap.url: issuer config: notifications.ldap.url: must match pattern "^ldaps?://"',
    ],
    [
      { ldap: { url: 'ldap://ldap.example', baseDn: 'dc=x', bindDn: 'cn=reader' } },
      'notifications.ldap.passwordFile: issuer config: notifications.ldap.passwordFile: a bindDn needs passwordFile or passwordEnv (the password is never in the config)',
    ],
    [
      { ldap: { url: 'ldap://ldap.example', baseDn: 'dc=x', uuidAttribute: null } },
      'notifications.ldap.uuidAttribute: issuer config: notifications.ldap.uuidAttribute: give uuidAttribute or fascnAttribute',
    ],
    [
      { ldap: { url: 'ldap://ldap.example', baseDn: 'dc=x', mailAttribute: 'mail)(uid=*' } },
      'notifications.ldap.mailAttribute: issuer config: notifications.ldap.mailAttribute: must match pattern "^[A-Za-z][A-Za-z0-9-]{0,63}$"',
    ],
    [
      { retryBaseSeconds: 600, retryMaxSeconds: 60 },
      'notifications.retryMaxSeconds: issuer config: notifications.retryMaxSeconds: must not be below retryBaseSeconds',
    ],
  ])('refuses %j', (notifications, expected) => {
    expect(refusal(notifications)).toBe(expected);
  });
});

// The cardholder's mail address (and language) from the organisation's LDAP directory, by the card's UUID or
// FASC-N, when the card's certificates carry no address. The directory's answer is hostile input: at most one
// entry may match (two people with one UUID is a directory fault, never a guess), values are size-capped, and a
// value that is not a plain address is refused (no header injection through a directory entry).
import { readFileSync } from 'node:fs';
import { Client, EqualityFilter, OrFilter } from 'ldapts';
import type { Filter } from 'ldapts';
import { checkedEmailAddress, MAX_EMAIL_ADDRESS_LENGTH } from './email-address.ts';
import { NOTIFICATION_LANGUAGES } from './notification-config.ts';
import type { NotificationLanguage, NotificationsSettings } from './notification-config.ts';
import { readPassword } from './password-source.ts';

export type DirectorySettings = NonNullable<NotificationsSettings['ldap']>;

export type DirectoryAnswer =
  | { found: true; address: string; language: NotificationLanguage | null }
  /** No entry for this person, or an entry without an address: not retried. */
  | { found: false; code: 'directory-no-entry' | 'directory-address-invalid' | 'directory-ambiguous'; retry: false }
  /** The directory did not answer (down, slow, refused the bind): the message waits for the next attempt. */
  | { found: false; code: 'directory-unavailable'; retry: true };

export interface DirectoryKey {
  uuid: string | null;
  fascnHex: string | null;
}

/** Two entries are enough to know the answer is ambiguous: the server stops there (RFC 4511 sizeLimit). */
const SIZE_LIMIT = 2;
/** Values of a mail or language attribute we look at, per entry: a directory listing thousands is not believed. */
const MAX_VALUES = 20;

function filterFor(settings: DirectorySettings, key: DirectoryKey): Filter | null {
  const filters: Filter[] = [];
  // EqualityFilter escapes the value (RFC 4515), so a UUID or FASC-N can never widen the filter.
  if (settings.uuidAttribute !== null && key.uuid !== null)
    filters.push(new EqualityFilter({ attribute: settings.uuidAttribute, value: key.uuid }));
  if (settings.fascnAttribute !== null && key.fascnHex !== null)
    filters.push(new EqualityFilter({ attribute: settings.fascnAttribute, value: key.fascnHex }));
  if (filters.length === 0) return null;
  return filters.length === 1 ? (filters[0] ?? null) : new OrFilter({ filters });
}

/** The values of one attribute as text, whatever shape ldapts gave them in, bounded in number. */
function values(entry: Record<string, unknown>, attribute: string): string[] {
  const found = Object.entries(entry).find(([name]) => name.toLowerCase() === attribute.toLowerCase())?.[1];
  const list = Array.isArray(found) ? found : found === undefined ? [] : [found];
  return list.slice(0, MAX_VALUES).map((value) => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value)));
}

function languageOf(candidates: string[]): NotificationLanguage | null {
  for (const candidate of candidates) {
    // RFC 2798 preferredLanguage is an Accept-Language value: "nl", "nl-NL", "nl, en-gb;q=0.8".
    const primary = candidate.split(',')[0]?.trim().slice(0, 2).toLowerCase() ?? '';
    const language = NOTIFICATION_LANGUAGES.find((known) => known === primary);
    if (language !== undefined) return language;
  }
  return null;
}

function tlsOptions(settings: DirectorySettings): { ca: string[] } | undefined {
  return settings.caFile === null ? undefined : { ca: [readFileSync(settings.caFile, 'latin1')] };
}

export interface DirectoryLookup {
  find(key: DirectoryKey): Promise<DirectoryAnswer>;
}

export function createDirectoryLookup(settings: DirectorySettings): DirectoryLookup {
  const attributes = [
    settings.mailAttribute,
    ...(settings.languageAttribute === null ? [] : [settings.languageAttribute]),
  ];
  return {
    find: async (key) => {
      const filter = filterFor(settings, key);
      if (filter === null) return { found: false, code: 'directory-no-entry', retry: false };
      const timeoutMs = settings.timeoutSeconds * 1000;
      const tls = tlsOptions(settings);
      const client = new Client({
        url: settings.url,
        timeout: timeoutMs,
        connectTimeout: timeoutMs,
        ...(tls === undefined ? {} : { tlsOptions: tls }),
      });
      let entries: Record<string, unknown>[];
      try {
        if (settings.bindDn !== null) {
          const password = readPassword(settings, 'LDAP bind password');
          await client.bind(settings.bindDn, password);
        }
        ({ searchEntries: entries } = await client.search(settings.baseDn, {
          scope: 'sub',
          filter,
          attributes,
          sizeLimit: SIZE_LIMIT,
          timeLimit: settings.timeoutSeconds,
        }));
      } catch (error: unknown) {
        if (error instanceof Error && error.name === 'SizeLimitExceededError')
          return { found: false, code: 'directory-ambiguous', retry: false };
        return { found: false, code: 'directory-unavailable', retry: true };
      } finally {
        await client.unbind().catch(() => undefined);
      }
      if (entries.length > 1) return { found: false, code: 'directory-ambiguous', retry: false };
      const [entry] = entries;
      if (entry === undefined) return { found: false, code: 'directory-no-entry', retry: false };
      const address = values(entry, settings.mailAttribute)
        .filter((value) => value.length <= MAX_EMAIL_ADDRESS_LENGTH)
        .map((value) => checkedEmailAddress(value.trim()))
        .find((value) => value !== null);
      if (address === undefined || address === null)
        return { found: false, code: 'directory-address-invalid', retry: false };
      const language =
        settings.languageAttribute === null ? null : languageOf(values(entry, settings.languageAttribute));
      return { found: true, address, language };
    },
  };
}

// The agent console's page → main calls are untrusted: every argument is checked before a handler sees it (the
// bounds are the issuer's own), unknown calls are refused, and the reasons the console offers are all final
// revocation reasons of the issuer's one table.
import { describe, expect, it } from 'vitest';
import {
  CONSOLE_REVOCATION_REASONS,
  CONSOLE_INVOKE_CHANNELS,
  NOTE_MAX_LENGTH,
  SEARCH_MAX_LENGTH,
  validateConsoleArgs,
} from '../../../contracts/console-api.ts';
import { FINAL_REVOCATION_REASONS } from '../../../issuer/lifecycle/revocation-reason.ts';
import { invokeConsole } from '../../../main/transport/invoke.ts';
import type { ConsoleHandlers } from '../../../contracts/console-api.ts';

const pin = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('console call validation', () => {
  it('accepts well-formed calls', () => {
    expect(validateConsoleArgs('submitPin', [pin('123456')]).ok).toBe(true);
    expect(validateConsoleArgs('searchPeople', ['pat']).ok).toBe(true);
    expect(validateConsoleArgs('revokeCredential', ['0a1b', 'keyCompromise', 'stolen']).ok).toBe(true);
    expect(validateConsoleArgs('approveRevocation', ['A'.repeat(22), 'ok']).ok).toBe(true);
    expect(validateConsoleArgs('terminatePerson', ['C'.repeat(22), 'affiliationChanged', 'left']).ok).toBe(true);
    expect(validateConsoleArgs('affirmEnrollment', ['A'.repeat(22), 'A1B2-C3D4-E5F6-0718', 'read aloud']).ok).toBe(
      true,
    );
    expect(validateConsoleArgs('reissueCode', ['A'.repeat(22), 'code ran out']).ok).toBe(true);
  });

  it.each([
    ['submitPin', ['123456']],
    ['submitPin', [pin('12345')]],
    ['submitPin', [pin('12345a')]],
    ['searchPeople', ['x']],
    ['searchPeople', ['x'.repeat(SEARCH_MAX_LENGTH + 1)]],
    ['searchPeople', [{ q: 'pat' }]],
    ['suspendCredential', ['0A1B', 'note']],
    ['suspendCredential', ["1' OR 1=1 --", 'note']],
    ['suspendCredential', ['0a1b', '']],
    ['resumeCredential', ['0a1b', 'n'.repeat(NOTE_MAX_LENGTH + 1)]],
    ['revokeCredential', ['0a1b', 'key compromise', 'note']],
    ['revokeCredential', ['0a1b', 'keyCompromise']],
    ['approveRevocation', ['../../etc', 'note']],
    ['signOut', ['extra']],
    ['terminatePerson', ["1' OR 1=1 --", 'affiliationChanged', 'note']],
    ['terminatePerson', ['C'.repeat(22), 'affiliation changed', 'note']],
    ['terminatePerson', ['C'.repeat(22), 'affiliationChanged', '']],
    ['affirmEnrollment', ['A'.repeat(22), 'A1B2-C3D4-E5F6', 'note']],
    ['affirmEnrollment', ['A'.repeat(22), 'A1B2-C3D4-E5F6-071G', 'note']],
    ['affirmEnrollment', ['../../etc/passwd', 'A1B2-C3D4-E5F6-0718', 'note']],
    ['affirmEnrollment', ['A'.repeat(22), 'A1B2-C3D4-E5F6-0718', '']],
    ['affirmEnrollment', ['A'.repeat(22), 'A1B2-C3D4-E5F6-0718']],
    ['reissueCode', ['A'.repeat(22)]],
    ['reissueCode', ['A'.repeat(22), '']],
    ['reissueCode', ["1' OR 1=1 --", 'note']],
    ['reissueCode', ['A'.repeat(22), 'n'.repeat(NOTE_MAX_LENGTH + 1)]],
  ] as const)('refuses %s(%j)', (name, args) => {
    const result = validateConsoleArgs(name, args);
    expect(result.ok).toBe(false);
    // The refusal never echoes the value (it may be a PIN).
    if (!result.ok) expect(result.error.detail ?? '').not.toContain('123456');
  });

  it('refuses unknown calls and long argument lists before any handler runs', async () => {
    const called: string[] = [];
    const handlers = Object.fromEntries(
      Object.keys(CONSOLE_INVOKE_CHANNELS).map((name) => [
        name,
        () => {
          called.push(name);
          return Promise.resolve({ ok: true, value: undefined });
        },
      ]),
    ) as unknown as ConsoleHandlers;
    const onError = (): void => undefined;
    expect((await invokeConsole(handlers, 'constructor', [], onError)).ok).toBe(false);
    expect((await invokeConsole(handlers, 'signOut', [1, 2, 3, 4, 5], onError)).ok).toBe(false);
    expect((await invokeConsole(handlers, 'searchPeople', ['x'], onError)).ok).toBe(false);
    expect(called).toEqual([]);
    expect((await invokeConsole(handlers, 'signOut', [], onError)).ok).toBe(true);
    expect(called).toEqual(['signOut']);
  });

  it('offers only final revocation reasons the issuer knows', () => {
    for (const reason of CONSOLE_REVOCATION_REASONS) expect(FINAL_REVOCATION_REASONS).toContain(reason);
  });
});

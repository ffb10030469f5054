// The issuer's failures as the session sees them: its database down (503 storage-unavailable) is retried like an
// issuer out of reach, but marked busy so the person is told that, and not that the service cannot be reached.
import { describe, expect, it } from 'vitest';
import type { IssuerCallError } from '../../../../main/issuer-client/issuer-port.ts';
import {
  completionFailure,
  deviceDeniedFailure,
  deviceShownFailure,
  renewFailure,
  signInFailure,
  userCodeFailure,
} from '../../../../main/session/issuer-outcomes.ts';

const NOW = '2026-12-06T15:00:00.000Z';
const MAPPINGS = {
  signInFailure,
  userCodeFailure,
  deviceShownFailure,
  deviceDeniedFailure,
  renewFailure,
  completionFailure: (error: IssuerCallError) => completionFailure(error, NOW),
} as const;

const busy: IssuerCallError = { code: 'storage-unavailable', detail: 'HTTP 503 storage-unavailable (request r1)' };
const away: IssuerCallError = { code: 'unreachable', detail: 'connect ECONNREFUSED (request r2)' };
const failing: IssuerCallError = { code: 'internal-error', detail: 'HTTP 500 internal-error (request r3)' };

describe('issuer outcomes: busy or out of reach', () => {
  it.each(Object.entries(MAPPINGS))('%s: storage-unavailable → unreachable, busy', (_name, mapping) => {
    expect(mapping(busy)).toEqual({ kind: 'unreachable', busy: true });
  });

  it.each(Object.entries(MAPPINGS))(
    '%s: no answer or another server fault → unreachable, not busy',
    (_name, mapping) => {
      expect(mapping(away)).toEqual({ kind: 'unreachable', busy: false });
      expect(mapping(failing)).toEqual({ kind: 'unreachable', busy: false });
    },
  );

  it('a refusal the issuer meant is still that refusal, never busy', () => {
    expect(signInFailure({ code: 'revoked', detail: '' })).toEqual({ kind: 'refused', reason: 'card-untrusted' });
    expect(renewFailure({ code: 'invalid-session', detail: '' })).toEqual({ kind: 'session-expired' });
  });
});

// Every issuer refusal reaches the agent as a kind the page says in a sentence, read from the one error table.
import { describe, expect, it } from 'vitest';
import { refusalOf } from '../../../../main/console/issuer-refusal.ts';

describe('issuer refusal → what the agent is told', () => {
  it.each([
    ['agent-forbidden', 'forbidden'],
    ['credential-revoked', 'conflict'],
    ['revocation-request-decided', 'conflict'],
    ['credential-unknown', 'not-found'],
    ['agent-session-invalid', 'session-ended'],
    ['agent-own-card', 'own-card'],
    ['agent-same-requester', 'same-requester'],
    ['note-invalid', 'invalid'],
    ['enrollment-burned', 'enrollment-burned'],
    ['enrollment-completed', 'enrollment-finished'],
    ['card-revoked', 'card-revoked'],
    ['unreachable', 'unreachable'],
    // The issuer's database down: the agent is told the issuer does not answer, not that the request was invalid.
    ['storage-unavailable', 'unreachable'],
  ] as const)('%s → %s', (code, refusal) => {
    expect(refusalOf({ code, detail: 'HTTP …' })).toBe(refusal);
  });
});

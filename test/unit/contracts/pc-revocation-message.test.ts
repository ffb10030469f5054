// The bytes a PC's key signs to revoke its credential: fixed layout, and nothing of another shape is ever built.
import { describe, expect, it } from 'vitest';
import { PC_REVOCATION_CONTEXT, pcRevocationMessage } from '../../../contracts/pc-revocation-message.ts';
import { PKI_AUTH_CONTEXT } from '../../../contracts/pki-auth-message.ts';

const nonce = new Uint8Array(32).fill(7);

describe('pcRevocationMessage', () => {
  it('is context ‖ NUL ‖ nonce ‖ serial ‖ NUL ‖ cause', () => {
    const built = pcRevocationMessage(nonce, '0a1b', 'removed');
    if (!built.ok) throw new Error(built.reason);
    const expected = Buffer.concat([
      Buffer.from(`${PC_REVOCATION_CONTEXT}\0`, 'latin1'),
      Buffer.from(nonce),
      Buffer.from('0a1b\0removed', 'latin1'),
    ]);
    expect(Buffer.from(built.message).equals(expected)).toBe(true);
  });

  it('never starts like a PKI-AUTH message (a card signature is never a revocation, nor the reverse)', () => {
    const built = pcRevocationMessage(nonce, '0a1b', 'removed');
    expect(
      built.ok &&
        Buffer.from(built.message)
          .subarray(0, PKI_AUTH_CONTEXT.length + 1)
          .toString('latin1'),
    ).not.toBe(`${PKI_AUTH_CONTEXT}\0`);
  });

  it.each([
    ['a short nonce', new Uint8Array(31), '0a', 'removed'],
    ['an upper-case serial', nonce, '0A', 'removed'],
    ['a serial with a NUL', nonce, '0a\0', 'removed'],
    ['a cause with a NUL', nonce, '0a', 'removed\0x'],
  ])('refuses %s', (_name, issuerNonce, serial, cause) => {
    expect(pcRevocationMessage(issuerNonce, serial, cause).ok).toBe(false);
  });
});

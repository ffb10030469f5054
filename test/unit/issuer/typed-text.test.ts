// The one rule for text a person types to the issuer (issuer/typed-text.ts): plain text of any script passes,
// anything a keyboard does not type is refused, and so is text out of bounds. The three agent-console readers
// (person look-up, audit filter, an agent's subject in the roles) use it: each refuses the same hostile text.
import { describe, expect, it } from 'vitest';
import { agentIdentityKey } from '../../../issuer/agent/agent-roles.ts';
import { auditSearchOf } from '../../../issuer/agent/audit-search.ts';
import { cardSearchOf } from '../../../issuer/agent/person-lookup.ts';
import { isTypedText } from '../../../issuer/typed-text.ts';

const BOUNDS = { min: 1, max: 128 };

const HOSTILE: ReadonlyArray<[string, string]> = [
  ['NUL (C0)', 'Maria\u0000'],
  ['escape (C0)', 'a\u001b[2Jb'],
  ['tab', 'a\tb'],
  ['new line', 'a\nb'],
  ['DEL', 'a\u007fb'],
  ['C1 control (CSI)', 'a\u009bb'],
  ['C1 next line', 'a\u0085b'],
  ['right-to-left override', 'a\u202eb'],
  ['left-to-right embedding', 'a\u202ab'],
  ['first-strong isolate', 'a\u2068b'],
  ['zero-width space', 'a\u200bb'],
  ['byte order mark (zero-width no-break space)', 'a\ufeffb'],
  ['lone high surrogate', 'a\ud800b'],
  ['lone low surrogate', 'a\udc00b'],
  ['line separator', 'a\u2028b'],
  ['paragraph separator', 'a\u2029b'],
];

describe('isTypedText', () => {
  it.each(HOSTILE)('refuses %s', (_, text) => {
    expect(isTypedText(text, BOUNDS)).toBe(false);
  });

  it('takes names and texts of any script, punctuation, spaces and whole surrogate pairs', () => {
    for (const text of ['Maria de Vries', 'Ренат Ахметов', '李小龙', "O'Brien-Smith", 'CN=Anna, O=Gov', 'ok 👍', '%_*'])
      expect(isTypedText(text, BOUNDS), text).toBe(true);
  });

  it('holds the bounds: too short, too long (and over-long by far) are refused; the bounds themselves pass', () => {
    expect(isTypedText('', BOUNDS)).toBe(false);
    expect(isTypedText('a', { min: 2, max: 128 })).toBe(false);
    expect(isTypedText('ab', { min: 2, max: 128 })).toBe(true);
    expect(isTypedText('x'.repeat(128), BOUNDS)).toBe(true);
    expect(isTypedText('x'.repeat(129), BOUNDS)).toBe(false);
    expect(isTypedText('x'.repeat(1_000_000), BOUNDS)).toBe(false);
  });
});

describe('the agent console readers share it', () => {
  it.each(HOSTILE)('%s: not a person search, not an audit filter, not an agent subject', (_, text) => {
    expect(cardSearchOf(`Maria ${text}`)).toBeNull();
    expect(auditSearchOf({ agent: text })).toEqual({ ok: false, filter: 'agent' });
    expect(auditSearchOf({ target: text })).toEqual({ ok: false, filter: 'target' });
    expect(() => agentIdentityKey('subject', `CN=${text}`)).toThrow(/not a card subject/);
  });

  it('over-long: each reader names its bound', () => {
    expect(cardSearchOf('m'.repeat(129))).toBeNull();
    expect(auditSearchOf({ target: 't'.repeat(129) })).toEqual({ ok: false, filter: 'target' });
    expect(() => agentIdentityKey('subject', `CN=${'s'.repeat(1024)}`)).toThrow(/not a card subject/);
    expect(cardSearchOf('m'.repeat(128))).not.toBeNull();
  });
});

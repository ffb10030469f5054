import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalSafeJson } from '../../../cli/terminal-text.ts';

const HOSTILE: ReadonlyArray<[string, string]> = [
  ['clear screen (CSI)', '\u001b[2J\u001b[H'],
  ['window title (OSC, BEL)', '\u001b]0;pwned\u0007'],
  ['hyperlink (OSC 8, ST)', '\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\'],
  ['hidden text (SGR 8)', '\u001b[8msecret\u001b[0m'],
  ['C1 CSI', '\u009b2J'],
  ['C1 OSC + ST', '\u009d0;title\u009c'],
  ['right-to-left override', 'Ada \u202eecalevoL'],
  ['isolates', '\u2066x\u2069\u2067y\u2068z'],
  ['zero-width and BOM', 'a\u200bb\u200dc\ufeff'],
  ['line/paragraph separators', 'a\u2028b\u2029c'],
  ['carriage return overwrite, backspace, NUL, DEL', 'Good\rEvil\b\u0000\u007f'],
  ['newline and tab', 'one\ntwo\tthree'],
];

// Everything a terminal may act on: C0, DEL, C1, zero-width/bidi marks, separators, embeddings/overrides, isolates, BOM.
const ACTIVE = /[\p{Cc}\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/u;
// The same, but JSON may keep its own line breaks from the indentation.
const ACTIVE_BUT_NEWLINE = /(?!\n)[\p{Cc}\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/u;

describe('terminalSafe', () => {
  it.each(HOSTILE)('%s: nothing a terminal acts on is left', (_name, text) => {
    const safe = terminalSafe(`label ${text} end`);
    expect(safe).not.toMatch(ACTIVE);
    expect(safe.startsWith('label ')).toBe(true);
    expect(safe.endsWith(' end')).toBe(true);
    expect(safe).toContain('\ufffd');
  });

  it('keeps ordinary text, accents, CJK, emoji and the punctuation dck prints', () => {
    const text = 'José Müller — 山田太郎 😀 valid 2026-01-01 → 2027-01-01, “quoted” ¿sí?';
    expect(terminalSafe(text)).toBe(text);
  });

  it('keeps our own line breaks only when asked', () => {
    expect(terminalSafe('a\nb')).toBe('a\ufffdb');
    expect(terminalSafe('a\nb\u001b[2J', { multiline: true })).toBe('a\nb\ufffd[2J');
  });
});

describe('terminalSafeJson', () => {
  it.each(HOSTILE)('%s: no active character in the JSON, and it parses back to the same value', (_name, text) => {
    const value = { label: text, nested: [text] };
    const json = terminalSafeJson(value, 2);
    expect(json).not.toMatch(ACTIVE_BUT_NEWLINE);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('escapes astral private-use characters as a surrogate pair', () => {
    const value = { x: '\u{F0000}' };
    const json = terminalSafeJson(value);
    expect(json).toBe('{"x":"\\udb80\\udc00"}');
    expect(JSON.parse(json)).toEqual(value);
  });
});

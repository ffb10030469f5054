import { describe, expect, it } from 'vitest';
import { USER_CODE_ALPHABET, normalizeUserCode } from '../../../contracts/user-code.ts';
import {
  appendUserCodeCharacter,
  formatUserCodeDisplay,
  parseUserCodeInput,
} from '../../../renderer/logic/user-code.ts';

describe('user code typed at the kiosk', () => {
  it('keeps every letter of the issuer alphabet and nothing else', () => {
    expect(parseUserCodeInput(USER_CODE_ALPHABET).compact).toBe(USER_CODE_ALPHABET.slice(0, 8));
    expect(parseUserCodeInput(USER_CODE_ALPHABET.slice(8)).compact).toBe(USER_CODE_ALPHABET.slice(8, 16));
    expect(parseUserCodeInput(USER_CODE_ALPHABET.slice(16)).rejectedCharacters).toBe(false);
  });

  it('upper-cases lower-case typing and inserts the dash after four characters', () => {
    expect(parseUserCodeInput('bcdf').display).toBe('BCDF');
    expect(parseUserCodeInput('bcdfg').display).toBe('BCDF-G');
    expect(parseUserCodeInput('bcdfghjk')).toEqual({
      compact: 'BCDFGHJK',
      display: 'BCDF-GHJK',
      rejectedCharacters: false,
      complete: true,
    });
  });

  it('accepts a pasted code with dash or spaces in any position', () => {
    expect(parseUserCodeInput('BCDF-GHJK').compact).toBe('BCDFGHJK');
    expect(parseUserCodeInput(' bc df gh jk ').display).toBe('BCDF-GHJK');
    expect(parseUserCodeInput('B-C-D-F-G').display).toBe('BCDF-G');
  });

  it('drops vowels, digits and look-alikes as typed and says so', () => {
    const parsed = parseUserCodeInput('A0O1IbE');
    expect(parsed.compact).toBe('B');
    expect(parsed.rejectedCharacters).toBe(true);
    expect(parseUserCodeInput('ÄBÇ').compact).toBe('B');
  });

  it('stops at eight characters', () => {
    expect(parseUserCodeInput('BCDFGHJKLMNP').display).toBe('BCDF-GHJK');
  });

  it('survives hostile input: huge pastes, control and astral characters', () => {
    const huge = 'a'.repeat(1_000_000) + 'BCDFGHJK';
    const parsed = parseUserCodeInput(huge);
    expect(parsed.compact).toBe('');
    expect(parsed.rejectedCharacters).toBe(true);
    expect(parseUserCodeInput('\u0000B\u202EC\u{1F600}D').compact).toBe('BCD');
  });

  it('produces what the issuer normalises to the same code', () => {
    const display = parseUserCodeInput('wxzb-cdfg').display;
    expect(normalizeUserCode(display)).toBe('WXZBCDFG');
  });

  it('on-screen keys append one valid letter at a time', () => {
    expect(appendUserCodeCharacter('', 'b')).toBe('B');
    expect(appendUserCodeCharacter('B', 'A')).toBe('B');
    expect(appendUserCodeCharacter('B', 'CD')).toBe('B');
    expect(appendUserCodeCharacter('BCDFGHJK', 'L')).toBe('BCDFGHJK');
    expect(formatUserCodeDisplay('')).toBe('');
  });
});

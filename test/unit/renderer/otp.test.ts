import { describe, expect, it } from 'vitest';
import { formatOtpForDisplay, groupOtpDigits, otpForScreenReader } from '../../../renderer/logic/otp.ts';

describe('one-time password display', () => {
  it('groups eight digits as 1234 5678', () => {
    expect(formatOtpForDisplay('12345678')).toBe('1234 5678');
  });

  it('keeps a short last group at the end and handles short or empty values', () => {
    expect(groupOtpDigits('123456789')).toEqual(['1234', '5678', '9']);
    expect(formatOtpForDisplay('123456')).toBe('1234 56');
    expect(formatOtpForDisplay('')).toBe('');
  });

  it('keeps leading zeros', () => {
    expect(formatOtpForDisplay('00012345')).toBe('0001 2345');
  });

  it('spells the digits one by one for screen readers', () => {
    expect(otpForScreenReader('12345678')).toBe('1 2 3 4, 5 6 7 8');
  });
});

// How pcsc-lite's error descriptions (as the `smartcard` addon reports them) become our codes, and
// that hostile or unexpected text cannot leak into our messages.
import { describe, expect, it } from 'vitest';
import { SmartCardError } from '../../../native/pcsc/index.ts';
import { codeFromPcscMessage, toSmartCardError } from '../../../native/pcsc/errors.ts';

describe('PC/SC error mapping', () => {
  it.each([
    ['PC/SC service not running', 'service-unavailable'],
    ['PC/SC service stopped', 'service-unavailable'],
    ['Card was removed', 'card-removed'],
    ['Card was reset', 'card-removed'],
    ['No smart card present', 'card-removed'],
    ['Sharing violation', 'reader-busy'],
    ['Card is unresponsive', 'card-unresponsive'],
    ['Unknown reader', 'no-reader'],
    ['Reader unavailable', 'no-reader'],
    ['Operation timed out', 'transmit-timeout'],
    ['Communication error', 'transmit-failed'],
    ['', 'transmit-failed'],
  ])('"%s" → %s', (message, code) => {
    expect(codeFromPcscMessage(message)).toBe(code);
  });

  it('keeps our plain words as the message and caps the library text kept for diagnostics', () => {
    const error = toSmartCardError(new Error(`Communication error ${'x'.repeat(500)}`), 'Reader 1');
    expect(error).toBeInstanceOf(SmartCardError);
    expect(error.message).toBe('the card reader failed to exchange data with the card (Reader 1)');
    expect(error.detail?.length).toBeLessThanOrEqual(80);
    expect(toSmartCardError('not an Error').code).toBe('transmit-failed');
    expect(toSmartCardError(error)).toBe(error);
  });
});

import { describe, expect, it } from 'vitest';
import { isPinBytes } from '../../../contracts/kiosk-api.ts';
import { PIN_MAX_DIGITS, PinBuffer, digitFromKey } from '../../../renderer/logic/pin-buffer.ts';

function typed(digits: readonly number[]): PinBuffer {
  const buffer = new PinBuffer();
  for (const digit of digits) buffer.pushDigit(digit);
  return buffer;
}

describe('PIN buffer', () => {
  it('hands main exactly the typed ASCII digits, which pass the contract validator', async () => {
    const buffer = typed([1, 2, 3, 4, 5, 6]);
    let seen: number[] = [];
    let valid = false;
    await buffer.submitAndWipe((pin) => {
      seen = Array.from(pin);
      valid = isPinBytes(pin);
      return Promise.resolve();
    });
    expect(seen).toEqual([0x31, 0x32, 0x33, 0x34, 0x35, 0x36]);
    expect(valid).toBe(true);
  });

  it('zero-fills the bytes main was given once the call resolves', async () => {
    const buffer = typed([9, 8, 7, 6, 5, 4, 3, 2]);
    let handedOver: Uint8Array | null = null;
    await buffer.submitAndWipe((pin) => {
      handedOver = pin;
      return Promise.resolve();
    });
    expect(buffer.isWiped()).toBe(true);
    // The array main received is a view of the same memory: it is zero now too.
    expect(Array.from(handedOver ?? new Uint8Array(1).fill(1))).toEqual(new Array(8).fill(0));
  });

  it('zero-fills even when the call rejects', async () => {
    const buffer = typed([1, 1, 1, 1, 1, 1]);
    await expect(buffer.submitAndWipe(() => Promise.reject(new Error('host gone')))).rejects.toThrow('host gone');
    expect(buffer.isWiped()).toBe(true);
  });

  it('does not call main with fewer than six digits', async () => {
    const buffer = typed([1, 2, 3, 4, 5]);
    let called = false;
    const result = await buffer.submitAndWipe(() => {
      called = true;
      return Promise.resolve('sent');
    });
    expect(called).toBe(false);
    expect(result).toBeNull();
    expect(buffer.length).toBe(5);
  });

  it('holds at most eight digits and refuses anything but 0-9', () => {
    const buffer = typed([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(buffer.pushDigit(9)).toBe(false);
    expect(buffer.length).toBe(PIN_MAX_DIGITS);
    const fresh = new PinBuffer();
    for (const bad of [-1, 10, 1.5, Number.NaN]) expect(fresh.pushDigit(bad)).toBe(false);
    expect(fresh.length).toBe(0);
  });

  it('backspace removes the last digit and zeroes its byte; clear wipes all', async () => {
    const buffer = typed([1, 2, 3, 4, 5, 6, 7]);
    buffer.popDigit();
    expect(buffer.length).toBe(6);
    let seen: number[] = [];
    await buffer.submitAndWipe((pin) => {
      seen = Array.from(pin);
      return Promise.resolve();
    });
    expect(seen).toEqual([0x31, 0x32, 0x33, 0x34, 0x35, 0x36]);
    const other = typed([5, 5, 5]);
    other.wipe();
    expect(other.isWiped()).toBe(true);
    other.popDigit();
    expect(other.length).toBe(0);
  });

  it('maps physical keys (top row and numeric keypad both send "0".."9") to digits', () => {
    expect(digitFromKey('0')).toBe(0);
    expect(digitFromKey('7')).toBe(7);
    for (const key of ['a', 'Enter', 'Numpad7', '', '٣', '/', ':']) expect(digitFromKey(key)).toBeNull();
  });
});

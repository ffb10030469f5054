import { describe, expect, it } from 'vitest';
import {
  KIOSK_EVENT_CHANNELS,
  KIOSK_INVOKE_CHANNELS,
  KIOSK_INVOKE_NAMES,
  isKioskInvokeName,
  validateInvokeArgs,
} from '../../../contracts/kiosk-api.ts';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('kiosk contract: submitPin argument validation', () => {
  it.each(['123456', '1234567', '12345678'])('accepts a PIN of %s digits', (pin) => {
    const result = validateInvokeArgs('submitPin', [ascii(pin), { confirmLastTry: false }]);
    expect(result.ok).toBe(true);
  });

  it.each([
    ['too short', ascii('12345')],
    ['too long', ascii('123456789')],
    ['a letter', ascii('12345a')],
    ['a space', ascii('123 456')],
    ['a NUL byte', new Uint8Array([0x31, 0x32, 0x33, 0x34, 0x35, 0x00])],
    ['a string, not bytes', '123456'],
    ['a number array', [0x31, 0x32, 0x33, 0x34, 0x35, 0x36]],
    ['null', null],
  ])('refuses %s', (_label, pin) => {
    const result = validateInvokeArgs('submitPin', [pin, { confirmLastTry: false }]);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
  });

  it('never echoes the PIN in the error detail', () => {
    const result = validateInvokeArgs('submitPin', [ascii('98765x'), { confirmLastTry: false }]);
    expect(JSON.stringify(result)).not.toContain('98765');
  });

  it.each([
    ['missing options', [ascii('123456')]],
    ['extra key', [ascii('123456'), { confirmLastTry: true, extra: 1 }]],
    ['non-boolean flag', [ascii('123456'), { confirmLastTry: 'yes' }]],
    [
      'class instance',
      [
        ascii('123456'),
        new (class {
          confirmLastTry = true;
        })(),
      ],
    ],
    ['extra argument', [ascii('123456'), { confirmLastTry: true }, 'x']],
  ])('refuses options: %s', (_label, args) => {
    expect(validateInvokeArgs('submitPin', args).ok).toBe(false);
  });

  it('passes a copy of the options, not the caller object', () => {
    const options = { confirmLastTry: true };
    const result = validateInvokeArgs('submitPin', [ascii('123456'), options]);
    expect(result.ok && result.value[1]).toEqual({ confirmLastTry: true });
    expect(result.ok && result.value[1]).not.toBe(options);
  });
});

describe('kiosk contract: other calls', () => {
  it('accepts a user code of up to 16 characters and refuses longer or non-strings', () => {
    expect(validateInvokeArgs('submitUserCode', ['wdjb-mjht']).ok).toBe(true);
    expect(validateInvokeArgs('submitUserCode', ['x'.repeat(16)]).ok).toBe(true);
    expect(validateInvokeArgs('submitUserCode', ['x'.repeat(17)]).ok).toBe(false);
    expect(validateInvokeArgs('submitUserCode', [42]).ok).toBe(false);
    expect(validateInvokeArgs('submitUserCode', []).ok).toBe(false);
  });

  it.each(['renewEnrollment', 'cancel', 'stillHere', 'reportActivity', 'useVirtualCard', 'getConfig'] as const)(
    '%s takes no arguments',
    (name) => {
      expect(validateInvokeArgs(name, []).ok).toBe(true);
      expect(validateInvokeArgs(name, [1]).ok).toBe(false);
    },
  );

  it('names every invoke channel uniquely and keeps event channels apart', () => {
    const channels = [...Object.values(KIOSK_INVOKE_CHANNELS), ...Object.values(KIOSK_EVENT_CHANNELS)];
    expect(new Set(channels).size).toBe(channels.length);
    expect(KIOSK_INVOKE_NAMES).toContain('submitPin');
  });

  it('recognises only own invoke names (no prototype keys)', () => {
    expect(isKioskInvokeName('cancel')).toBe(true);
    expect(isKioskInvokeName('onView')).toBe(false);
    expect(isKioskInvokeName('toString')).toBe(false);
    expect(isKioskInvokeName('__proto__')).toBe(false);
    expect(isKioskInvokeName(3)).toBe(false);
  });
});

// The "Set up this PC" contract's runtime checks: main refuses hostile call arguments (never echoing a PIN), the page
// refuses views it cannot name. Plus main's fault → page kind table covers every code of main/this-pc/pc-errors.ts.
import { describe, expect, it } from 'vitest';
import { isPcView, PC_FAULTS, validatePcArgs } from '../../../contracts/pc-api.ts';
import { pcFault } from '../../../main/this-pc/pc-controller.ts';
import { PC_ERROR_CODES } from '../../../main/this-pc/pc-errors.ts';

const digits = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('pc-api arguments (main side)', () => {
  it('takes a 6-8 digit PIN as bytes with a confirmLastTry flag', () => {
    expect(validatePcArgs('submitPin', [digits('123456'), { confirmLastTry: false }]).ok).toBe(true);
  });

  it.each([
    ['a string PIN', ['123456', { confirmLastTry: false }]],
    ['letters', [digits('12345a'), { confirmLastTry: false }]],
    ['too short', [digits('12345'), { confirmLastTry: false }]],
    ['too long', [digits('123456789'), { confirmLastTry: false }]],
    ['no options', [digits('123456')]],
    ['options not a flag', [digits('123456'), { confirmLastTry: 'yes' }]],
    ['an extra argument', [digits('123456'), { confirmLastTry: false }, 1]],
  ])('refuses %s, and the detail never carries the PIN', (_name, args) => {
    const result = validatePcArgs('submitPin', args);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toMatch(/12345/);
  });

  it('start takes enroll or renew only; remove and cancel take nothing', () => {
    expect(validatePcArgs('start', ['enroll']).ok).toBe(true);
    expect(validatePcArgs('start', ['renew']).ok).toBe(true);
    for (const bad of [['remove'], [], ['enroll', 'x'], [{ toString: () => 'enroll' }]])
      expect(validatePcArgs('start', bad).ok).toBe(false);
    expect(validatePcArgs('remove', []).ok).toBe(true);
    expect(validatePcArgs('cancel', [1]).ok).toBe(false);
  });
});

describe('pc-api views (page side)', () => {
  const installed = {
    serialNumberHex: '0a1b2c',
    protection: 'tpm',
    notAfter: '2027-12-06T10:00:00.000Z',
    renewalDueAt: '2027-09-24T10:00:00.000Z',
    inStore: true,
  };

  it('accepts every screen main sends', () => {
    for (const view of [
      { screen: 'status', installed: null },
      { screen: 'status', installed },
      { screen: 'insert-card', purpose: 'renew' },
      { screen: 'reading-card', purpose: 'enroll' },
      {
        screen: 'pin',
        purpose: 'enroll',
        holderName: 'Demo',
        triesLeft: 3,
        lastTryWarning: false,
        lastAttempt: 'none',
        busy: false,
      },
      { screen: 'working', purpose: 'remove', step: 'revoking' },
      { screen: 'working', purpose: 'enroll', step: 'creating-key', closing: true },
      { screen: 'done', outcome: 'set-up', installed, oldCredentialLeft: false },
      { screen: 'done', outcome: 'renewed', installed, oldCredentialLeft: false, unfinishedKeysRemoved: 2 },
      { screen: 'failed', purpose: 'enroll', fault: 'issuer-refused', issuerSentence: 'Refused.' },
    ])
      expect(isPcView(view)).toBe(true);
  });

  it.each([
    ['an unknown screen', { screen: 'welcome' }],
    ['a bad serial', { screen: 'status', installed: { ...installed, serialNumberHex: '<script>' } }],
    ['a date that is not an instant', { screen: 'status', installed: { ...installed, notAfter: 'tomorrow' } }],
    ['an unknown fault', { screen: 'failed', purpose: 'enroll', fault: 'pin-is-123456' }],
    ['an unknown step', { screen: 'working', purpose: 'enroll', step: 'exporting-key' }],
    ['a closing flag that is not true', { screen: 'working', purpose: 'enroll', step: 'issuing', closing: 'yes' }],
    ...[0, -1, 1.5, '1', 1001].map((count): [string, unknown] => [
      `unfinished keys removed: ${JSON.stringify(count)}`,
      { screen: 'done', outcome: 'set-up', installed, oldCredentialLeft: false, unfinishedKeysRemoved: count },
    ]),
    [
      'tries out of range',
      {
        screen: 'pin',
        purpose: 'enroll',
        holderName: '',
        triesLeft: -1,
        lastTryWarning: false,
        lastAttempt: 'none',
        busy: false,
      },
    ],
    ['null', null],
  ])('refuses %s', (_name, view) => {
    expect(isPcView(view)).toBe(false);
  });
});

describe("main's faults as the page's kinds", () => {
  it('every code of pc-errors.ts becomes a kind the page has a sentence for', () => {
    for (const code of PC_ERROR_CODES) expect(PC_FAULTS).toContain(pcFault({ code, message: '' }).fault);
  });

  it('a tenant refusing software keys is its own sentence, not the issuer refusal in general', () => {
    expect(pcFault({ code: 'issuer-refused', message: 'x', issuerCode: 'software-key-refused' })).toEqual({
      fault: 'software-key-refused',
    });
    expect(pcFault({ code: 'install-failed-not-revoked', message: 'x' }).fault).toBe('install-failed-not-revoked');
  });
});

// "Set up this PC"'s card and PIN, with the scripted card double (test/unit/main/card/scripted-card.ts), a scripted
// issuer and a FAKE `PcOperations` (no state file, key store or issuer: the real ones run in
// test/e2e/this-pc.e2e.test.ts). The card PIN is zero-filled on every path: refused (no card, last try not
// confirmed), right, wrong, blocked, card error, card pulled mid-verify.
import { afterEach, describe, expect, it } from 'vitest';
import { ok } from '../../../../contracts/kiosk-api.ts';
import type { PcView } from '../../../../contracts/pc-api.ts';
import { createPcController } from '../../../../main/this-pc/pc-controller.ts';
import type { PcController, PcOperations } from '../../../../main/this-pc/pc-controller.ts';
import { pinBytes, RIGHT_PIN, ScriptedReader, wiped } from '../card/scripted-card.ts';
import type { VerifyScript } from '../card/scripted-card.ts';
import { INSTALLED, signInIssuer } from './pc-doubles.ts';

/** FAKE operations: nothing installed; enroll signs in with the card, then "installs". */
const operations: PcOperations = {
  installed: () => Promise.resolve(null),
  enroll: async (signIn) => {
    const signedIn = await signIn(signInIssuer);
    return signedIn.ok ? ok({ installed: INSTALLED, unfinishedKeysRemoved: 0 }) : signedIn;
  },
  renew: () => Promise.reject(new Error('not in this test')),
  remove: () => Promise.reject(new Error('not in this test')),
};

let running: PcController | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

function startApp(reader: ScriptedReader) {
  const controller = createPcController({ card: reader, operations });
  running = controller;
  const views: PcView[] = [];
  controller.onView((view) => views.push(view));
  const shows = async (matches: (view: PcView) => boolean): Promise<void> => {
    await expect.poll(() => views.some(matches), { timeout: 5_000, interval: 5 }).toBe(true);
  };
  return { controller, views, shows };
}

async function atPinScreen(reader: ScriptedReader) {
  const started = startApp(reader);
  await started.shows((view) => view.screen === 'status');
  expect(await started.controller.handlers.start('enroll')).toEqual(ok(undefined));
  reader.insert();
  await started.shows((view) => view.screen === 'pin');
  return started;
}

describe('"Set up this PC": the card PIN is wiped on every path', () => {
  it('a PIN with no card waiting for one is refused, and wiped', async () => {
    const { controller } = startApp(new ScriptedReader());
    const pin = pinBytes(RIGHT_PIN);
    expect(await controller.handlers.submitPin(pin, { confirmLastTry: false })).toMatchObject({
      ok: false,
      error: { code: 'not-now' },
    });
    expect(wiped(pin)).toBe(true);
  });

  it('a PIN on the last try, not confirmed, is refused unsent, and wiped', async () => {
    const reader = new ScriptedReader();
    reader.card.triesLeft = 1;
    const { controller } = await atPinScreen(reader);
    const pin = pinBytes(RIGHT_PIN);
    expect(await controller.handlers.submitPin(pin, { confirmLastTry: false })).toMatchObject({
      ok: false,
      error: { code: 'last-try-not-confirmed' },
    });
    expect(reader.card.pinsSeen).toEqual([]);
    expect(wiped(pin)).toBe(true);
  });

  it.each<[string, VerifyScript, string, (view: PcView) => boolean]>([
    ['right (set up, the card closed after the sign-in)', 'by-pin', RIGHT_PIN, (v) => v.screen === 'done'],
    ['wrong', 'by-pin', '000000', (v) => v.screen === 'pin' && v.lastAttempt === 'wrong' && !v.busy],
    ['a card error', 'card-error', RIGHT_PIN, (v) => v.screen === 'failed' && v.fault === 'card-error'],
    [
      'sent as the card is pulled',
      'pulled-mid-verify',
      RIGHT_PIN,
      (v) => v.screen === 'failed' && v.fault === 'card-removed',
    ],
  ])('a PIN that is %s is wiped once the card answered', async (_what, script, digits, after) => {
    const reader = new ScriptedReader();
    reader.card.verify = script;
    const { controller, shows } = await atPinScreen(reader);
    const pin = pinBytes(digits);
    expect(await controller.handlers.submitPin(pin, { confirmLastTry: false })).toEqual(ok(undefined));
    await shows(after);
    expect(reader.card.pinsSeen).toEqual([pin]);
    expect(wiped(pin)).toBe(true);
    if (script !== 'by-pin' || digits === RIGHT_PIN) expect(reader.card.closes).toBeGreaterThan(0);
  });

  it('the PIN that blocks the card is wiped, as is the wrong one before it', async () => {
    const reader = new ScriptedReader();
    reader.card.triesLeft = 2;
    const { controller, shows } = await atPinScreen(reader);
    await controller.handlers.submitPin(pinBytes('000000'), { confirmLastTry: false });
    await shows((view) => view.screen === 'pin' && view.lastAttempt === 'wrong' && !view.busy);
    await controller.handlers.submitPin(pinBytes('111111'), { confirmLastTry: true });
    await shows((view) => view.screen === 'failed' && view.fault === 'pin-blocked');
    expect(reader.card.pinsSeen).toHaveLength(2);
    expect(reader.card.pinsSeen.every(wiped)).toBe(true);
  });
});

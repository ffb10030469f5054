// The agent console's card and PIN before sign-in, with the scripted card double (test/unit/main/card/scripted-card.ts)
// and the real issuer client pointed at a loopback port nobody listens on (so a right PIN ends at "the issuer does
// not answer"; the signed-in console is tested end to end in test/e2e/agent-console.e2e.test.ts):
// - the card pulled on the PIN screen, or during VERIFY, goes back to "insert your card" without saying the agent was
//   signed out (nobody was signed in);
// - the PIN buffer is zero-filled on every path: refused, right, wrong, blocked, card error, card pulled mid-verify;
// - a sign-in that fails after the PIN was verified resets the card.
import { createServer } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleView } from '../../../../contracts/console-api.ts';
import { createConsoleController } from '../../../../main/console/console-controller.ts';
import type { ConsoleController } from '../../../../main/console/console-controller.ts';
import { HttpsIssuerClient } from '../../../../main/issuer-client/https-issuer-client.ts';
import { pinBytes, RIGHT_PIN, ScriptedReader, wiped } from '../card/scripted-card.ts';
import type { VerifyScript } from '../card/scripted-card.ts';

let closedPortUrl: string;
let running: { controller: ConsoleController; issuer: HttpsIssuerClient } | null = null;

/** A loopback port that was free a moment ago: the issuer client's calls there are refused at once. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  closedPortUrl = `https://127.0.0.1:${await freePort()}`;
});

afterEach(async () => {
  await running?.controller.stop();
  running?.issuer.close();
  running = null;
});

function startConsole(reader: ScriptedReader) {
  const issuer = new HttpsIssuerClient({ baseUrl: closedPortUrl, trustedCaPem: '' });
  const controller = createConsoleController({ card: reader, issuer });
  running = { controller, issuer };
  const views: ConsoleView[] = [];
  controller.onView((view) => views.push(view));
  /** Waits until the console shows a view that `matches`. */
  const shows = (matches: (view: ConsoleView) => boolean): Promise<ConsoleView> =>
    expect
      .poll(() => views.findLast(matches), { timeout: 5_000, interval: 5 })
      .toBeDefined()
      .then(() => {
        const found = views.findLast(matches);
        if (found === undefined) throw new Error('no such view');
        return found;
      });
  return { controller, views, shows };
}

async function atPinScreen(reader: ScriptedReader) {
  const started = startConsole(reader);
  reader.insert();
  await started.shows((view) => view.screen === 'pin');
  return started;
}

describe('the agent console before sign-in', () => {
  it('the card pulled on the PIN screen: back to "insert your card", with no word of a sign-out', async () => {
    const reader = new ScriptedReader();
    const { views, shows } = await atPinScreen(reader);
    reader.remove();
    await shows((view) => view.screen === 'locked');
    expect(views.at(-1)).toEqual({ screen: 'locked', reason: 'start' });
    expect(views).not.toContainEqual({ screen: 'locked', reason: 'card-removed' });
    expect(reader.card.closes).toBeGreaterThan(0);
  });

  it('the card pulled while its PIN is checked: the same, and the PIN is wiped', async () => {
    const reader = new ScriptedReader();
    reader.card.verify = 'pulled-mid-verify';
    const { controller, views, shows } = await atPinScreen(reader);
    const pin = pinBytes(RIGHT_PIN);
    expect(await controller.handlers.submitPin(pin)).toEqual({ ok: true, value: undefined });
    await shows((view) => view.screen === 'locked');
    expect(views).not.toContainEqual({ screen: 'locked', reason: 'card-removed' });
    expect(wiped(pin)).toBe(true);
  });

  it('a right PIN when the issuer does not answer: the card is reset, so its verified PIN does not stay on it', async () => {
    const reader = new ScriptedReader();
    const { controller, shows } = await atPinScreen(reader);
    await controller.handlers.submitPin(pinBytes(RIGHT_PIN));
    await shows((view) => view.screen === 'sign-in-refused' && view.reason === 'issuer-unreachable');
    expect(reader.card.closes).toBe(1);
  });

  it('a PIN with no card waiting for one is refused, and wiped', async () => {
    const { controller } = startConsole(new ScriptedReader());
    const pin = pinBytes(RIGHT_PIN);
    expect(await controller.handlers.submitPin(pin)).toMatchObject({ ok: false, error: { code: 'invalid-argument' } });
    expect(wiped(pin)).toBe(true);
  });

  it.each<[string, VerifyScript, string, (view: ConsoleView) => boolean]>([
    ['right (the issuer then does not answer)', 'by-pin', RIGHT_PIN, (v) => v.screen === 'sign-in-refused'],
    ['wrong', 'by-pin', '000000', (v) => v.screen === 'pin' && v.wrongPin],
    ['a card error', 'card-error', RIGHT_PIN, (v) => v.screen === 'sign-in-refused' && v.reason === 'card-unreadable'],
  ])('a PIN that is %s is wiped once the card answered', async (_what, script, digits, after) => {
    const reader = new ScriptedReader();
    reader.card.verify = script;
    const { controller, shows } = await atPinScreen(reader);
    const pin = pinBytes(digits);
    await controller.handlers.submitPin(pin);
    await shows(after);
    expect(reader.card.pinsSeen).toEqual([pin]);
    expect(wiped(pin)).toBe(true);
  });

  it('the PIN that blocks the card is wiped, as is each wrong one before it', async () => {
    const reader = new ScriptedReader();
    reader.card.triesLeft = 2;
    const { controller, shows } = await atPinScreen(reader);
    await controller.handlers.submitPin(pinBytes('000000'));
    await shows((view) => view.screen === 'pin' && view.wrongPin && !view.busy);
    await controller.handlers.submitPin(pinBytes('111111'));
    await shows((view) => view.screen === 'sign-in-refused' && view.reason === 'pin-blocked');
    expect(reader.card.pinsSeen).toHaveLength(2);
    expect(reader.card.pinsSeen.every(wiped)).toBe(true);
  });
});

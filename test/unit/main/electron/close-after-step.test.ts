// Closing the "Set up this PC" window mid-step (close-after-step.ts over the real PcController): the window stays,
// its working screen says it closes by itself when the step is done, and it closes once the step has ended (or
// after the deadline, logged); with no step running it closes at once. Electron's 'close' event is played by the
// test; the card is the scripted double, the operations a FAKE whose key step waits until the test lets it end.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ok } from '../../../../contracts/kiosk-api.ts';
import type { PcView } from '../../../../contracts/pc-api.ts';
import { isPcView } from '../../../../contracts/pc-api.ts';
import { closeAfterStep } from '../../../../main/electron/close-after-step.ts';
import { createPcController } from '../../../../main/this-pc/pc-controller.ts';
import type { PcController, PcOperations } from '../../../../main/this-pc/pc-controller.ts';
import { pinBytes, RIGHT_PIN, ScriptedReader } from '../card/scripted-card.ts';
import { INSTALLED, signInIssuer } from '../this-pc/pc-doubles.ts';

function closeEvent(): { preventDefault: () => void; prevented: () => boolean } {
  let prevented = false;
  return { preventDefault: () => void (prevented = true), prevented: () => prevented };
}

let controller: PcController | null = null;
afterEach(async () => {
  vi.useRealTimers();
  await controller?.stop();
  controller = null;
});

/** The app at the "creating a key" step, held there until `endStep()`; FAKE operations (no key store, no issuer). */
async function midStep() {
  let endStep: () => void = () => undefined;
  const operations: PcOperations = {
    installed: () => Promise.resolve(null),
    enroll: async (signIn, onStep) => {
      const signedIn = await signIn(signInIssuer);
      if (!signedIn.ok) return signedIn;
      onStep('creating-key');
      await new Promise<void>((resolve) => (endStep = resolve));
      onStep('installing');
      // An earlier attempt's unfinished key was removed on the way: the done screen says so.
      return ok({ installed: INSTALLED, unfinishedKeysRemoved: 1 });
    },
    renew: () => Promise.reject(new Error('not in this test')),
    remove: () => Promise.reject(new Error('not in this test')),
  };
  const reader = new ScriptedReader();
  controller = createPcController({ card: reader, operations });
  const views: PcView[] = [];
  controller.onView((view) => views.push(view));
  const shows = async (matches: (view: PcView) => boolean): Promise<void> => {
    await expect.poll(() => views.some(matches), { timeout: 5_000, interval: 5 }).toBe(true);
  };
  await shows((view) => view.screen === 'status');
  await controller.handlers.start('enroll');
  reader.insert();
  await shows((view) => view.screen === 'pin');
  await controller.handlers.submitPin(pinBytes(RIGHT_PIN), { confirmLastTry: false });
  await shows((view) => view.screen === 'working' && view.step === 'creating-key');
  return { controller, views, shows, endStep: () => endStep() };
}

describe('closing the "Set up this PC" window', () => {
  it('mid-step: the window stays and says it closes by itself, then closes once the step has ended', async () => {
    const app = await midStep();
    const close = vi.fn();
    const logged: string[] = [];
    const onClose = closeAfterStep({
      finishBeforeClosing: () => app.controller.finishBeforeClosing(),
      close,
      deadlineMs: 60_000,
      log: (event) => logged.push(event),
    });

    const first = closeEvent();
    onClose(first);
    expect(first.prevented()).toBe(true);
    const shown = app.views.at(-1);
    expect(shown).toEqual({ screen: 'working', purpose: 'enroll', step: 'creating-key', closing: true });
    expect(isPcView(shown)).toBe(true);
    // Closed again while finishing: still held (the screen already says why).
    const again = closeEvent();
    onClose(again);
    expect(again.prevented()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(close).not.toHaveBeenCalled();

    app.endStep();
    // The step's later screens keep saying so, until it is done; then the window closes, and that close goes through.
    await app.shows((view) => view.screen === 'working' && view.step === 'installing' && view.closing === true);
    await expect.poll(() => close.mock.calls.length, { timeout: 5_000, interval: 5 }).toBe(1);
    const done = app.views.at(-1);
    expect(done).toEqual({
      screen: 'done',
      outcome: 'set-up',
      installed: INSTALLED,
      oldCredentialLeft: false,
      unfinishedKeysRemoved: 1,
    });
    expect(isPcView(done)).toBe(true);
    const last = closeEvent();
    onClose(last);
    expect(last.prevented()).toBe(false);
    expect(logged).toEqual([]);
  });

  it('with no step running it closes at once', () => {
    const reader = new ScriptedReader();
    controller = createPcController({
      card: reader,
      operations: {
        installed: () => Promise.resolve(null),
        enroll: () => Promise.reject(new Error('not in this test')),
        renew: () => Promise.reject(new Error('not in this test')),
        remove: () => Promise.reject(new Error('not in this test')),
      },
    });
    const close = vi.fn();
    const event = closeEvent();
    closeAfterStep({
      finishBeforeClosing: () => controller?.finishBeforeClosing() ?? null,
      close,
      deadlineMs: 60_000,
      log: () => undefined,
    })(event);
    expect(event.prevented()).toBe(false);
    expect(close).not.toHaveBeenCalled();
  });

  it('a step that never ends (a TPM that does not answer) closes the window after the deadline, logged', async () => {
    vi.useFakeTimers();
    const close = vi.fn();
    const logged: string[] = [];
    const onClose = closeAfterStep({
      finishBeforeClosing: () => new Promise<void>(() => undefined),
      close,
      deadlineMs: 60_000,
      log: (event, fields) => logged.push(JSON.stringify({ event, ...fields })),
    });
    const event = closeEvent();
    onClose(event);
    expect(event.prevented()).toBe(true);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(close).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(close).toHaveBeenCalledTimes(1);
    expect(logged).toEqual([JSON.stringify({ event: 'close-step-timed-out', afterMs: 60_000 })]);
  });
});

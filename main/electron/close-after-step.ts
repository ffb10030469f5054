// Closing the "Set up this PC" window while a step runs (a key being made, a certificate being installed): the step
// must end, or a key could stay without its certificate or an issued certificate uninstalled. Before, the window
// vanished and the app went on windowless for up to a minute, unseen: a person could pull the card or shut the PC
// down thinking it was over. Now the window stays, its working screen says it closes by itself once the step is done
// (pc-controller.ts finishBeforeClosing), and it does: when the step ends, or after `deadlineMs` (a TPM that never
// answers must not hold the window for good; the step has its own deadlines well inside it). Quitting the app the
// other ways (app.quit closes the window first) goes through the same wait. Tested under Node.
import type { QuitEvent } from './clean-quit.ts';

export interface CloseAfterStepOptions {
  /** null: no step runs, the window may close now; else resolves when the step has ended. */
  readonly finishBeforeClosing: () => Promise<void> | null;
  /** Electron's window.close(): emits 'close' again, which this handler then lets through. */
  readonly close: () => void;
  readonly deadlineMs: number;
  readonly log: (event: string, fields?: Readonly<Record<string, string | number>>) => void;
}

/** The window's 'close' handler: a close mid-step waits for the step (shown on screen), then closes the window. */
export function closeAfterStep(options: CloseAfterStepOptions): (event: QuitEvent) => void {
  let phase: 'open' | 'finishing' | 'closable' = 'open';
  return (event) => {
    if (phase === 'closable') return;
    // A second close while finishing changes nothing: the screen already says the window closes by itself.
    if (phase === 'finishing') return event.preventDefault();
    const step = options.finishBeforeClosing();
    if (step === null) {
      phase = 'closable';
      return;
    }
    event.preventDefault();
    phase = 'finishing';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), options.deadlineMs);
    });
    const ended = step.then(
      () => 'ended' as const,
      () => 'ended' as const,
    );
    void Promise.race([ended, late]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'late') options.log('close-step-timed-out', { afterMs: options.deadlineMs });
      phase = 'closable';
      options.close();
    });
  };
}

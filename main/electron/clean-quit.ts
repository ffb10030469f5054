// Quitting the Electron shell stops the app first: the app's own stop() (a "Set up this PC" step under way runs to
// its end, so no key is left without its certificate and no issued certificate uninstalled; the card port and the
// issuer client close), then the quit goes on. Electron's 'will-quit' does not wait for a promise, so the first quit
// is held back (preventDefault) and made again once stop() has settled. Never longer than `deadlineMs`: a TPM that
// never answers (tpm2-tss has no timeout of its own) must not keep a windowless app alive. Tested under Node.
export interface QuitEvent {
  preventDefault(): void;
}

export interface CleanQuitOptions {
  readonly stop: () => Promise<void>;
  /** Electron's app.quit(): emits 'will-quit' again, which this handler then lets through. */
  readonly quit: () => void;
  readonly deadlineMs: number;
  readonly log: (event: string, fields?: Readonly<Record<string, string | number>>) => void;
}

/**
 * The time a quit waits for the app to stop. A "Set up this PC" step makes at most a few issuer calls, each given up
 * after 15 s of silence (contracts/issuer-caller.ts), and one key generation (a few seconds on a TPM).
 */
export const STOP_DEADLINE_MS = 60_000;

/** The 'will-quit' handler: holds the first quit until stop() settles (or the deadline passes), then quits. */
export function quitWhenStopped(options: CleanQuitOptions): (event: QuitEvent) => void {
  let phase: 'running' | 'stopping' | 'stopped' = 'running';
  const stopped = (): Promise<'stopped' | 'failed'> =>
    options.stop().then(
      () => 'stopped' as const,
      (error: unknown) => {
        options.log('stop-failed', { error: error instanceof Error ? error.name : typeof error });
        return 'failed' as const;
      },
    );
  return (event) => {
    if (phase === 'stopped') return;
    event.preventDefault();
    if (phase === 'stopping') return;
    phase = 'stopping';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), options.deadlineMs);
    });
    void Promise.race([stopped(), late]).then((outcome) => {
      clearTimeout(timer);
      if (outcome === 'late') options.log('stop-timed-out', { afterMs: options.deadlineMs });
      phase = 'stopped';
      options.quit();
    });
  };
}

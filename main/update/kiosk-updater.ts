// Drives the update schedule (update-schedule.ts) for a running kiosk: watches its views, asks the updater to check
// on time, and installs a downloaded update only when the schedule says the kiosk is idle. The updater itself is a
// port: electron-updater in the Electron shell (main/electron/electron-updater.ts), a fake in tests.
import type { KioskView } from '../../contracts/kiosk-api.ts';
import { INITIAL_UPDATE_STATE, nextUpdateAction, onView } from './update-schedule.ts';
import type { UpdatePolicy, UpdateScheduleState } from './update-schedule.ts';

export interface UpdaterPort {
  /** Checks the feed and downloads (and verifies) a newer version; resolves when that attempt is over. */
  checkAndDownload(): Promise<void>;
  /** Called with the version once an update is downloaded and verified. */
  onDownloaded(listener: (version: string) => void): void;
  /** Installs the downloaded update silently and restarts the kiosk. */
  installAndRestart(): void;
}

export interface KioskUpdaterOptions {
  readonly updater: UpdaterPort;
  readonly views: { readonly view: KioskView; onView(listener: (view: KioskView) => void): () => void };
  readonly policy: UpdatePolicy;
  readonly log: (event: string, fields?: Readonly<Record<string, string | number | boolean>>) => void;
  readonly now?: () => number;
  /** How often the schedule is consulted. */
  readonly tickMs?: number;
  readonly timers?: { setInterval: typeof setInterval; clearInterval: typeof clearInterval };
}

export function startKioskUpdater(options: KioskUpdaterOptions): () => void {
  const now = options.now ?? Date.now;
  const timers = options.timers ?? { setInterval, clearInterval };
  let state: UpdateScheduleState = onView(INITIAL_UPDATE_STATE, options.views.view, now());
  let installing = false;

  const unsubscribe = options.views.onView((view) => {
    state = onView(state, view, now());
  });
  options.updater.onDownloaded((version) => {
    options.log('update-downloaded', { version });
    state = { ...state, downloaded: version };
  });

  const tick = (): void => {
    if (installing) return;
    const action = nextUpdateAction(state, now(), options.policy);
    switch (action.kind) {
      case 'check':
        state = { ...state, checking: true, lastCheckAt: now() };
        options.updater.checkAndDownload().then(
          () => {
            state = { ...state, checking: false };
          },
          (error: unknown) => {
            // A failed check is not the kiosk's problem: it tries again at the next interval.
            options.log('update-check-failed', {
              error: error instanceof Error ? error.message.slice(0, 200) : 'unknown',
            });
            state = { ...state, checking: false };
          },
        );
        return;
      case 'install':
        installing = true;
        options.log('update-installing', { version: action.version });
        options.updater.installAndRestart();
        return;
      case 'wait':
        return;
    }
  };
  tick();
  const interval = timers.setInterval(tick, options.tickMs ?? 30_000);
  return () => {
    timers.clearInterval(interval);
    unsubscribe();
  };
}

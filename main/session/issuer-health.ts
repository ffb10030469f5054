// Whether the issuer answers, checked every `everySeconds` (its metadata document), so the welcome screen
// can say so before anyone spends a PIN try.
import type { KioskIssuerPort } from '../issuer-client/issuer-port.ts';
import { errorName } from './log.ts';
import type { KioskLog } from './log.ts';
import type { Scheduler } from './timers.ts';

export class IssuerHealth {
  readonly #issuer: KioskIssuerPort;
  readonly #scheduler: Scheduler;
  readonly #everySeconds: number;
  readonly #unreachableEverySeconds: number;
  readonly #log: KioskLog;
  readonly #report: (issuer: 'reachable' | 'unreachable') => void;
  #next: unknown = null;
  #stopped = false;

  constructor(options: {
    issuer: KioskIssuerPort;
    scheduler: Scheduler;
    everySeconds: number;
    unreachableEverySeconds: number;
    log: KioskLog;
    report: (issuer: 'reachable' | 'unreachable') => void;
  }) {
    this.#issuer = options.issuer;
    this.#scheduler = options.scheduler;
    this.#everySeconds = options.everySeconds;
    this.#unreachableEverySeconds = options.unreachableEverySeconds;
    this.#log = options.log;
    this.#report = options.report;
  }

  start(): void {
    void this.#check();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#next !== null) this.#scheduler.clearTimeout(this.#next);
  }

  async #check(): Promise<void> {
    if (this.#stopped) return;
    const result = await this.#issuer.metadata().catch((error: unknown) => {
      this.#log('issuer-check-failed', { error: errorName(error) });
      return null;
    });
    if (this.#stopped) return;
    const reachable = result?.ok === true;
    this.#report(reachable ? 'reachable' : 'unreachable');
    const seconds = reachable ? this.#everySeconds : this.#unreachableEverySeconds;
    this.#next = this.#scheduler.setTimeout(() => void this.#check(), seconds * 1000);
  }
}

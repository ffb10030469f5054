// Keeps the current issuer generation's CRL published in storage: regenerated after every revocation-state change
// (this process's, at once; another process's or the admin CLI's, found by the state version on the next check or
// request), and before its nextUpdate (at half its validity). CRL numbers come from storage, so they increase
// strictly across processes and restarts; a CRL that lost a race to a higher number is never published.
// After a crash between a revocation's commit and its CRL, the next start (or check) publishes it: the state
// version moved, the published CRL did not.
import type { IssuingCa } from '../ca/issuing-ca.ts';
import type { IssuerStorage, PublishedCrl } from '../storage/issuer-storage.ts';
import { buildCrl } from './crl-builder.ts';

export interface CrlPublisherOptions {
  storage: IssuerStorage;
  ca: IssuingCa;
  issuerGeneration: number;
  now: () => Date;
  validityMs: number;
  /** How often to look for changes made elsewhere and for the half-life; 0 = no timer (tests, the CLI). */
  checkIntervalMs: number;
  warn: (message: string) => void;
}

export interface CrlPublisher {
  /** The CRL of `generation`; the current generation's is brought up to date first (an older one is final). */
  crlFor(generation: number): Promise<PublishedCrl | null>;
  /** Regenerates the current generation's CRL now (coalesced with one already waiting); after stop(), nothing. */
  refresh(): Promise<PublishedCrl | null>;
  /**
   * Stops the timer and waits for the regeneration and check under way: a revocation's refresh runs after its
   * request has been answered, so without this the issuer's close would end the storage under it.
   */
  stop(): Promise<void>;
}

export function isStale(published: PublishedCrl | null, stateVersion: number, at: number): boolean {
  if (published === null || published.stateVersion < stateVersion) return true;
  return at >= published.thisUpdate + (published.nextUpdate - published.thisUpdate) / 2;
}

export function startCrlPublisher(options: CrlPublisherOptions): CrlPublisher {
  const { storage, ca, issuerGeneration } = options;

  const generate = async (): Promise<PublishedCrl | null> => {
    // A retired generation's CA signs no more: its final CRL (signed at the replacement) stays as it is.
    if ((await storage.findIssuerGeneration(issuerGeneration))?.retiredAt != null)
      return storage.findPublishedCrl(issuerGeneration);
    const now = options.now();
    const draft = await storage.draftCrl(issuerGeneration, now.getTime());
    const nextUpdate = new Date(now.getTime() + options.validityMs);
    const der = await buildCrl(
      {
        issuerNameDer: ca.subjectNameDer,
        authorityKeyId: ca.keyIdentifier,
        crlNumber: draft.crlNumber,
        thisUpdate: now,
        nextUpdate,
        entries: draft.entries,
      },
      ca.signer,
    );
    await storage.publishCrl({
      generation: issuerGeneration,
      crlNumber: draft.crlNumber,
      stateVersion: draft.stateVersion,
      der,
      thisUpdate: now.getTime(),
      nextUpdate: nextUpdate.getTime(),
    });
    return storage.findPublishedCrl(issuerGeneration);
  };

  // One generation at a time in this process; a request arriving meanwhile waits for one more round after it, so
  // a change committed during a round is never left out.
  let waiting: Promise<PublishedCrl | null> | null = null;
  let last: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const refresh = (): Promise<PublishedCrl | null> => {
    // Stopping: the storage is about to close. The next start (or another node) publishes what changed.
    if (stopped) return Promise.resolve(null);
    if (waiting !== null) return waiting;
    const round = last.then(() => {
      waiting = null;
      return generate();
    });
    waiting = round;
    last = round.catch(() => undefined);
    return round;
  };

  const upToDate = async (): Promise<PublishedCrl | null> => {
    const published = await storage.findPublishedCrl(issuerGeneration);
    const stateVersion = await storage.crlStateVersion(issuerGeneration);
    if (!isStale(published, stateVersion, options.now().getTime())) return published;
    try {
      return await refresh();
    } catch (error: unknown) {
      // The CA cannot sign now (an HSM away): the last CRL still serves until its nextUpdate.
      options.warn(`derived CRL not regenerated: ${error instanceof Error ? error.message : String(error)}`);
      return published;
    }
  };

  let checking: Promise<unknown> = Promise.resolve();
  const timer =
    options.checkIntervalMs > 0
      ? setInterval(() => {
          checking = upToDate().catch((error: unknown) => {
            options.warn(`derived CRL check failed: ${String(error)}`);
          });
        }, options.checkIntervalMs)
      : null;
  timer?.unref();

  return {
    crlFor: (generation) => (generation === issuerGeneration ? upToDate() : storage.findPublishedCrl(generation)),
    refresh,
    stop: async () => {
      stopped = true;
      if (timer !== null) clearInterval(timer);
      await Promise.all([last, checking]);
    },
  };
}

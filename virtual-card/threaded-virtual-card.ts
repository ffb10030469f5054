/**
 * A virtual card on its own worker thread, for any process that also talks to it through PC/SC.
 *
 * Why: the `smartcard` addon runs SCardDisconnect (and SCardReleaseContext) synchronously on the calling thread,
 * and pcscd may answer it only after it has spoken to the card in the reader. When that card answers on the same
 * thread (startVirtualCard), that thread is blocked in SCardDisconnect and the card never answers: the process froze
 * for ever, twice in one day of CI (gdb: poll(-1) under SCardDisconnect). On its own thread the card answers
 * whatever the kiosk's thread is blocked in. The demo environment and the end-to-end tests use this;
 * startVirtualCard stays for clients that run in child processes (OpenSC, yubico-piv-tool) and for benchmarks.
 */
import { Worker } from 'node:worker_threads';
import { buildProfile } from './profiles.ts';
import type { PortableAppletConfig, ProfileName, VirtualCardIdentity } from './profiles.ts';
import type { TestPki } from './test-pki.ts';
import { profileOptionsOf } from './virtual-card.ts';

/** What the card's thread starts from (plain data: it crosses postMessage). */
export interface CardThreadData {
  readonly host: string;
  readonly port: number;
  readonly applet: PortableAppletConfig;
}

export interface CardThreadRequest {
  readonly id: number;
  readonly op: 'insert' | 'remove';
}

export type CardThreadReply =
  | { readonly kind: 'done'; readonly id: number; readonly inserted: boolean }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string }
  | { readonly kind: 'disconnected'; readonly reason: string };

export interface StartThreadedVirtualCardOptions {
  readonly profile: ProfileName;
  /** vpcd port of the reader (PcscEnvironment.vpcdPort, or +1 for its second reader). */
  readonly port: number;
  readonly host?: string;
  readonly pki?: TestPki;
  readonly commonName?: string;
  readonly uuid?: string;
  /** FASC-N (hex) of its certificates and CHUID: see StartVirtualCardOptions.fascnHex. */
  readonly fascnHex?: string;
  readonly pin?: string;
  /** Told when vpcd drops the connection without remove() (e.g. pcscd stopped). */
  readonly onDisconnect?: (reason: string) => void;
}

/** The card as the starting thread sees it: who it is, and the reader slot. */
export interface ThreadedVirtualCard {
  readonly identity: VirtualCardIdentity;
  readonly port: number;
  /** As of the last insert/remove/disconnect the card's thread reported. */
  readonly inserted: boolean;
  insert(): Promise<void>;
  remove(): Promise<void>;
  /** Removes the card and ends its thread. */
  stop(): Promise<void>;
}

const CARD_THREAD_ENTRY = new URL('./card-thread-entry.mjs', import.meta.url);
/** A request the card's thread has not answered in this time failed (vpcd's own connect timeout is 5 s). */
const REQUEST_TIMEOUT_MS = 10_000;

export async function startThreadedVirtualCard(options: StartThreadedVirtualCardOptions): Promise<ThreadedVirtualCard> {
  const built = await buildProfile(options.profile, profileOptionsOf(options));
  const data: CardThreadData = { host: options.host ?? '127.0.0.1', port: options.port, applet: built.portableApplet };
  const worker = new Worker(CARD_THREAD_ENTRY, { workerData: data });
  // The card must never keep a finished process alive; stop() ends it on purpose.
  worker.unref();
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let inserted = false;
  let nextId = 1;
  let ended: Error | null = null;

  const failAll = (error: Error): void => {
    ended = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: CardThreadReply) => {
    if (reply.kind === 'disconnected') {
      inserted = false;
      options.onDisconnect?.(reply.reason);
      return;
    }
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.kind === 'done') {
      inserted = reply.inserted;
      waiter?.resolve();
    } else {
      waiter?.reject(new Error(`virtual card: ${reply.message}`));
    }
  });
  worker.on('error', (error) => failAll(new Error(`virtual card thread failed: ${error.message}`)));
  worker.on('exit', () => failAll(new Error('virtual card thread has ended')));

  const request = (op: CardThreadRequest['op']): Promise<void> => {
    if (ended !== null) return Promise.reject(ended);
    const id = nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`virtual card: no answer to ${op} within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      pending.set(id, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      worker.postMessage({ id, op } satisfies CardThreadRequest);
    });
  };

  return {
    identity: built.identity,
    port: options.port,
    get inserted() {
      return inserted;
    },
    insert: () => request('insert'),
    remove: () => request('remove'),
    stop: async () => {
      if (ended === null) await request('remove').catch((error: unknown) => error);
      await worker.terminate();
    },
  };
}

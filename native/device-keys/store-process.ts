/**
 * The Linux device key store with a deadline: every PKCS#11 call runs in a child process that is killed when it has
 * not answered in time. tpm2-tss waits for the TPM without a timeout (its swtpm and device TCTIs poll with none), and
 * pkcs11js makes most calls on the calling thread: a TPM that stopped answering froze `dck pc` and the app for good.
 *
 * Why a child process and not a worker thread: a thread blocked inside a native call cannot be stopped
 * (Worker.terminate waits for it to come back to JavaScript), and tpm2-pkcs11's process-wide state stays initialised
 * meanwhile, so the next call in the same process fails too. Killing a process closes its TPM connection and frees
 * all of it; the next call starts a fresh one.
 *
 * One child per store, started at the first call and kept for the next ones (a run makes a few: generate, install,
 * sign, delete), then ended after IDLE_MS without calls, or with the parent. Calls run one at a time.
 *
 * Nothing half-done: a generation cut off may have left its key on the token, so its id is chosen here and the key
 * is deleted (by a fresh child, under the same deadline) before the caller hears of the failure. The token's
 * sqlite store (tpm2-pkcs11) is written in transactions, which a killed process leaves rolled back.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type {
  DeviceCredential,
  DeviceKeyProtection,
  DeviceKeyRequest,
  DeviceKeyStore,
  GeneratedDeviceKey,
} from './device-key-store.ts';
import type { TokenInitialisation } from './device-token.ts';
import { DeviceKeyError } from './errors.ts';
import { newKeyId } from './pkcs11-device-key-store.ts';
import type {
  StoreProcessCall,
  StoreProcessReply,
  StoreProcessRequest,
  StoreProcessToken,
  StoreProcessValue,
} from './store-process-protocol.ts';

/**
 * How long one store call may take before the TPM counts as not answering. A call opens the module, logs in and
 * works: tens of milliseconds on swtpm, a few seconds on a slow firmware TPM generating a P-256 key. Overridden by
 * `deadlineMs` (dck pc: DCK_PC_TPM_DEADLINE_SECONDS).
 */
export const DEFAULT_STORE_DEADLINE_MS = 20_000;
/**
 * An idle child is ended after this long (it holds nothing between calls: each call finalizes the module). Long
 * enough for one enrollment's calls, which the issuer's answer separates, to share a child: its start (Node + tsx
 * loading the store) measured 3–5 s on a loaded 2-core machine (bench/device-key-deadline.ts).
 */
const IDLE_MS = 30_000;
/** A child that has not loaded in this time failed to start (that is not the TPM's fault, nor its deadline's). */
const START_MS = 60_000;
const ENTRY = new URL('./store-process-entry.mjs', import.meta.url);

export interface StoreProcessOptions extends StoreProcessToken {
  /** A fresh copy of the device token's user PIN per call; the store wipes it. */
  readonly tokenPin: () => Buffer;
  readonly deadlineMs?: number;
}

interface Waiter {
  readonly id: number;
  readonly resolve: (value: StoreProcessValue) => void;
  readonly reject: (error: DeviceKeyError) => void;
}

export class Pkcs11StoreProcess implements DeviceKeyStore {
  readonly platform = 'linux';
  readonly #token: StoreProcessToken;
  readonly #deadlineMs: number;
  #child: { readonly process: ChildProcess; readonly ready: Promise<void> } | null = null;
  #waiter: Waiter | null = null;
  #idle: NodeJS.Timeout | null = null;
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: StoreProcessOptions) {
    this.#token = { modulePath: options.modulePath, tokenLabel: options.tokenLabel, protection: options.protection };
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_STORE_DEADLINE_MS;
  }

  get protection(): DeviceKeyProtection {
    return this.options.protection;
  }

  async generateKey(request: DeviceKeyRequest): Promise<GeneratedDeviceKey> {
    const keyId = newKeyId();
    try {
      return (await this.#call({ op: 'generateKey', keyId, request })) as GeneratedDeviceKey;
    } catch (error) {
      if (error instanceof DeviceKeyError && error.code === 'store-no-answer') {
        // Cut off after the key may have been made: it must not stay without its certificate.
        await this.#call({ op: 'delete', keyId }).catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * First set-up of the token (device-token.ts) under the same deadline: tpm2-pkcs11 asks the TPM at C_Initialize
   * already, so a silent TPM froze the first enrollment before any key call. `soPin` is wiped; the user PIN is the
   * store's token PIN. `resume`: finish an earlier run's set-up with its PINs (device-token.ts).
   */
  async initializeToken(soPin: Buffer, resume = false): Promise<TokenInitialisation> {
    try {
      return (await this.#call({ op: 'initializeToken', soPin, resume })) as TokenInitialisation;
    } finally {
      soPin.fill(0);
    }
  }

  async install(keyId: string, certificateDer: Uint8Array, chainDer: readonly Uint8Array[]): Promise<void> {
    await this.#call({ op: 'install', keyId, certificateDer, chainDer });
  }

  async sign(keyId: string, message: Uint8Array): Promise<Uint8Array> {
    return (await this.#call({ op: 'sign', keyId, message })) as Uint8Array;
  }

  async list(): Promise<DeviceCredential[]> {
    return (await this.#call({ op: 'list' })) as DeviceCredential[];
  }

  async delete(keyId: string): Promise<void> {
    await this.#call({ op: 'delete', keyId });
  }

  /** One call at a time, each under the deadline. */
  #call(call: StoreProcessCall): Promise<StoreProcessValue> {
    const next = this.#queue.then(() => this.#send(call));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #send(call: StoreProcessCall): Promise<StoreProcessValue> {
    if (this.#idle !== null) clearTimeout(this.#idle);
    const started = this.#child ?? this.#start();
    const child = started.process;
    child.ref();
    child.channel?.ref();
    await started.ready;
    const id = this.#nextId++;
    return new Promise<StoreProcessValue>((resolve, reject) => {
      const deadline = setTimeout(() => {
        this.#end(child);
        reject(new DeviceKeyError('store-no-answer', `${call.op}: no answer in ${this.#deadlineMs / 1000} s`));
      }, this.#deadlineMs);
      this.#waiter = {
        id,
        resolve: (value) => {
          clearTimeout(deadline);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(deadline);
          reject(error);
        },
      };
      const pin = this.options.tokenPin();
      const request: StoreProcessRequest = { id, token: this.#token, pin, call };
      // The serializer copies the PIN into the channel's buffer at once; this copy is wiped now.
      child.send(request);
      pin.fill(0);
    }).finally(() => {
      this.#waiter = null;
      if (this.#child !== null) this.#rest(this.#child.process);
    });
  }

  #start(): { readonly process: ChildProcess; readonly ready: Promise<void> } {
    const child = fork(ENTRY, [], {
      serialization: 'advanced',
      // The parent's own flags (a test runner's, an inspector's) are not the child's business.
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let loaded: () => void = () => undefined;
    let failed: (error: DeviceKeyError) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#end(child);
        reject(new DeviceKeyError('store-failed', 'store process did not start'));
      }, START_MS);
      loaded = () => {
        clearTimeout(timer);
        resolve();
      };
      failed = (error) => {
        clearTimeout(timer);
        reject(error);
      };
    });
    child.on('message', (reply: StoreProcessReply) => {
      if ('ready' in reply) return loaded();
      const waiter = this.#waiter;
      if (waiter === null || reply.id !== waiter.id) return;
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new DeviceKeyError(reply.code, reply.detail));
    });
    const ended = (): void => {
      // A child this store killed (deadline, idle) is no longer #child: its end is no news to the current call.
      if (this.#child?.process !== child) return;
      this.#child = null;
      const error = new DeviceKeyError('store-failed', 'store process ended');
      failed(error);
      this.#waiter?.reject(error);
    };
    child.once('exit', ended);
    child.once('error', ended);
    this.#child = { process: child, ready };
    return this.#child;
  }

  /** Between calls the child keeps nobody alive, and goes after IDLE_MS. */
  #rest(child: ChildProcess): void {
    child.unref();
    child.channel?.unref();
    this.#idle = setTimeout(() => this.#end(child), IDLE_MS);
    this.#idle.unref();
  }

  #end(child: ChildProcess): void {
    if (this.#child?.process === child) this.#child = null;
    // SIGKILL: a process blocked in the TPM's read does not run a SIGTERM handler either.
    child.kill('SIGKILL');
  }
}

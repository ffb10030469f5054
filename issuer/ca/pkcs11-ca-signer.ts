// The issuing CA's key in a PKCS#11 token (an HSM; SoftHSM2 in tests): the issuer keeps one logged-in connection
// (native/pkcs11/token-key.ts) and asks it for signatures over TBS bytes. The key never leaves the token.
//
// Failing closed: any PKCS#11 failure while signing drops the connection and the signature fails with
// CaSignerUnavailableError (the routes answer 503 `ca-unavailable`; nothing is issued or recorded). The next
// signature or health check connects again, at most once a second, so a dead HSM is not hammered with C_Login
// (synchronous, ~27 ms with SoftHSM2) on every request. Each connection first proves, with a signature that must
// verify against the configured CA certificate, that the token holds *this* CA's key (a swapped token is refused).
//
// The PIN is read from its file or environment variable each time a connection logs in, never kept: the Buffer is
// wiped by TokenKeyConnection.open, right after C_Login.
import { verify, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Pkcs11Failure, TokenKeyConnection } from '../../native/pkcs11/index.ts';
import type { TokenKeyLocation, TokenSignMechanism } from '../../native/pkcs11/index.ts';
import { CaSignerUnavailableError, signatureAlgorithmFor } from './ca-signer.ts';
import type { CaSignerHealth, OperatedCaSigner, SignatureAlgorithm } from './ca-signer.ts';

/** Where the PIN comes from: a file (mode 0600 or stricter) or an environment variable. */
export type PinSource = { file: string } | { env: string };

/** Reconnect attempts after a failure are at most this frequent. */
const RECONNECT_INTERVAL_MS = 1_000;
/** /readyz may be polled by several load balancers: one probe signature answers them all for this long. */
const HEALTH_CACHE_MS = 1_000;
const PROBE = Buffer.from('dck issuer: CA key check');
const MAX_PIN_BYTES = 256;

export class PinSourceError extends Error {
  readonly code = 'pin-unavailable';
  constructor(detail: string) {
    super(`CA token PIN: ${detail}`);
    this.name = 'PinSourceError';
  }
}

/** The PIN as a fresh Buffer (the caller wipes it). A file's one trailing newline is not part of the PIN. */
export function readPin(source: PinSource): Buffer {
  let pin: Buffer;
  if ('file' in source) {
    let mode: number;
    try {
      mode = statSync(source.file).mode;
      pin = readFileSync(source.file);
    } catch (error) {
      throw new PinSourceError(`cannot read ${source.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    // Like ssh with its keys: a PIN file others can read is a PIN others know.
    if ((mode & 0o077) !== 0) {
      pin.fill(0);
      throw new PinSourceError(`${source.file} is readable by group or others (chmod 600 it)`);
    }
    let end = pin.length;
    if (pin[end - 1] === 0x0a) end -= 1;
    if (pin[end - 1] === 0x0d) end -= 1;
    const trimmed = Buffer.from(pin.subarray(0, end));
    pin.fill(0);
    pin = trimmed;
  } else {
    const value = process.env[source.env];
    if (value === undefined) throw new PinSourceError(`the environment variable ${source.env} is not set`);
    pin = Buffer.from(value, 'utf8');
  }
  if (pin.length === 0 || pin.length > MAX_PIN_BYTES) {
    pin.fill(0);
    throw new PinSourceError(`empty or longer than ${MAX_PIN_BYTES} bytes`);
  }
  return pin;
}

function mechanismFor(algorithm: SignatureAlgorithm): TokenSignMechanism {
  return algorithm.keyType === 'rsa' ? { kind: 'rsa-sha256' } : { kind: 'ecdsa', hash: algorithm.hash };
}

function reasonOf(error: unknown): string {
  if (error instanceof Pkcs11Failure || error instanceof PinSourceError || error instanceof CaSignerUnavailableError) {
    return error instanceof PinSourceError
      ? error.code
      : error instanceof CaSignerUnavailableError
        ? error.reason
        : error.code;
  }
  return 'native-error';
}

export class Pkcs11CaSigner implements OperatedCaSigner {
  readonly kind = 'pkcs11';
  readonly signatureAlgorithmDer: Uint8Array;
  readonly publicKeySpkiDer: Uint8Array;
  private readonly algorithm: SignatureAlgorithm;
  private connection: TokenKeyConnection | null = null;
  private lastFailure: { reason: string; at: number } | null = null;
  private lastHealth: { health: CaSignerHealth; at: number } | null = null;
  private connecting: Promise<TokenKeyConnection> | null = null;

  /** `publicKey`: the CA certificate's; every connection must prove the token's key matches it. */
  constructor(
    private readonly location: TokenKeyLocation,
    private readonly pin: PinSource,
    private readonly publicKey: KeyObject,
  ) {
    this.algorithm = signatureAlgorithmFor(publicKey);
    this.signatureAlgorithmDer = this.algorithm.der;
    this.publicKeySpkiDer = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  }

  /** Connects now (at start): throws CaSignerUnavailableError naming what failed, so a bad setup stops the service. */
  async connect(): Promise<void> {
    await this.connection_();
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    const connection = await this.connection_();
    try {
      return await connection.sign(data);
    } catch (error) {
      this.drop(connection, reasonOf(error));
      throw new CaSignerUnavailableError(reasonOf(error));
    }
  }

  async health(): Promise<CaSignerHealth> {
    const now = Date.now();
    if (this.lastHealth !== null && now - this.lastHealth.at < HEALTH_CACHE_MS) return this.lastHealth.health;
    let health: CaSignerHealth;
    try {
      await this.sign(PROBE);
      health = { ok: true };
    } catch (error) {
      health = { ok: false, reason: reasonOf(error) };
    }
    this.lastHealth = { health, at: Date.now() };
    return health;
  }

  close(): Promise<void> {
    this.connection?.close();
    this.connection = null;
    return Promise.resolve();
  }

  private connection_(): Promise<TokenKeyConnection> {
    if (this.connection !== null) return Promise.resolve(this.connection);
    if (this.lastFailure !== null && Date.now() - this.lastFailure.at < RECONNECT_INTERVAL_MS) {
      return Promise.reject(new CaSignerUnavailableError(this.lastFailure.reason));
    }
    // One attempt at a time: a module is loaded once per process, and a second C_Initialize/C_Finalize of the same
    // library would finalize the connection being made.
    this.connecting ??= this.connectOnce().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connectOnce(): Promise<TokenKeyConnection> {
    let connection: TokenKeyConnection | null = null;
    try {
      connection = TokenKeyConnection.open(this.location, readPin(this.pin), mechanismFor(this.algorithm));
      const probe = await connection.sign(PROBE);
      if (!verify(this.algorithm.hash, PROBE, { key: this.publicKey, dsaEncoding: 'der' }, probe)) {
        throw new CaSignerUnavailableError('key-mismatch');
      }
    } catch (error) {
      connection?.close();
      this.lastFailure = { reason: reasonOf(error), at: Date.now() };
      throw new CaSignerUnavailableError(this.lastFailure.reason);
    }
    this.connection = connection;
    this.lastFailure = null;
    return connection;
  }

  private drop(connection: TokenKeyConnection, reason: string): void {
    if (this.connection === connection) {
      this.connection = null;
      connection.close();
    }
    this.lastFailure = { reason, at: Date.now() };
    this.lastHealth = null;
  }
}

/** The CA certificate's public key, as a KeyObject. */
export function certificatePublicKey(certificateDer: Uint8Array): KeyObject {
  return new X509Certificate(certificateDer).publicKey;
}

// The "newcomer sees the whole flow" environment: an embedded issuer that trusts a throw-away demo PKI, and —
// when no reader holds a card — a private pcscd with a virtual reader and the demo virtual PIV card (PIN 123456)
// that the welcome screen offers. Development, demos and end-to-end tests only; production kiosks point at a
// real issuer and real readers.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIssuer } from '../issuer/start-issuer.ts';
import type { RunningIssuer } from '../issuer/start-issuer.ts';
import { createSmartCardService } from '../native/pcsc/index.ts';
import { buildCrl } from '../virtual-card/revocation.ts';
import { startPcscEnvironment } from '../virtual-card/pcscd/pcsc-environment.ts';
import type { PcscEnvironment } from '../virtual-card/pcscd/pcsc-environment.ts';
import type { ProfileName } from '../virtual-card/profiles.ts';
import { createTestPki } from '../virtual-card/test-pki.ts';
import type { TestPki } from '../virtual-card/test-pki.ts';
import { startThreadedVirtualCard } from '../virtual-card/threaded-virtual-card.ts';
import type { ThreadedVirtualCard } from '../virtual-card/threaded-virtual-card.ts';
import type { KioskCardPort } from '../main/card/card-port.ts';
import { createPcscCardPort } from '../main/card/pcsc-card-port.ts';
import { cardPortOnReader } from '../main/card/reader-binding.ts';
import { createPrivateTempDir } from '../main/runtime/private-temp-dir.ts';

export interface DemoEnvironmentOptions {
  /**
   * Where the embedded issuer keeps its database, CA and TLS identity. Absent: a private temp dir (0700), removed at
   * stop, on an uncaught error and on signals (private-temp-dir.ts).
   */
  readonly dataDir?: string;
  /** 'auto': virtual card only when no system reader holds a card; 'always' / 'never' force it. */
  readonly virtualCard?: 'auto' | 'always' | 'never';
  readonly profile?: ProfileName;
  readonly cardholderName?: string;
  /**
   * Use only this reader (its exact PC/SC name, as `dck card list` shows it); it must be connected at start. Absent:
   * every reader. The demo's private pcscd names its readers "Virtual PCD 00 00" and "Virtual PCD 00 01".
   */
  readonly reader?: string;
  /** Extra issuer configuration (merged over the demo defaults). */
  readonly issuerConfig?: Record<string, unknown>;
  readonly log?: (line: string) => void;
}

export interface DemoEnvironment {
  readonly issuer: RunningIssuer;
  /** The issuer's data directory (the demo kiosk keeps its key here too). */
  readonly dataDir: string;
  /** The embedded issuer's TLS certificate (PEM) as a file, for `dck phone start --ca FILE`. */
  readonly issuerCaFile: string;
  readonly pki: TestPki;
  readonly card: KioskCardPort;
  /** Null when a real reader with a card is used. */
  readonly virtualCard: ThreadedVirtualCard | null;
  readonly pcsc: PcscEnvironment | null;
  stop(): Promise<void>;
}

/** Asks the system pcscd (in a child process, so this process's PC/SC library is not pinned to it). */
function systemReaderHoldsCard(): Promise<boolean> {
  const env = { ...process.env };
  delete env.PCSCLITE_CSOCK_NAME; // the system service, not a private one this process may have started
  return new Promise((resolve) => {
    execFile('opensc-tool', ['--list-readers'], { timeout: 5000, env }, (error, stdout) => {
      // No opensc-tool, no pcscd, no readers: all mean "no card here".
      if (error !== null) return resolve(false);
      resolve(stdout.split('\n').some((line) => /^\s*\d+\s+Yes\s/.test(line)));
    });
  });
}

export async function startDemoEnvironment(options: DemoEnvironmentOptions = {}): Promise<DemoEnvironment> {
  const log = options.log ?? (() => undefined);
  const ownDataDir = options.dataDir === undefined ? createPrivateTempDir('dck-kiosk-') : null;
  const dataDir = options.dataDir ?? ownDataDir?.path ?? '';
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pki = await createTestPki();
  // The issuer demands revocation evidence for every certificate on the path: give it fresh, empty CRLs.
  const crlFiles = [join(dataDir, 'demo-root.crl'), join(dataDir, 'demo-intermediate.crl')];
  const nextUpdate = new Date(Date.now() + 7 * 86_400_000);
  writeFileSync(crlFiles[0]!, await buildCrl({ issuer: pki.root, nextUpdate }));
  writeFileSync(crlFiles[1]!, await buildCrl({ issuer: pki.intermediate, nextUpdate }));
  const issuerConfig = options.issuerConfig ?? {};
  const issuer = await startIssuer({
    dataDir,
    port: 0,
    config: {
      displayName: 'Demo derived credential issuer',
      helpUrl: 'https://example.org/help/derived-credentials',
      ...issuerConfig,
      pivTrust: { crlFiles, ...(issuerConfig.pivTrust as object | undefined) },
    },
    trustAnchorsDer: [pki.root.der],
    intermediatesDer: [pki.intermediate.der],
  });
  log(`issuer: ${issuer.url} (demo PKI trusted)`);
  const issuerCaFile = join(dataDir, 'demo-issuer-tls.pem');
  writeFileSync(issuerCaFile, issuer.tlsCertificatePem, { mode: 0o644 });

  const mode = options.virtualCard ?? 'auto';
  const useVirtual = mode === 'always' || (mode === 'auto' && !(await systemReaderHoldsCard()));
  let pcsc: PcscEnvironment | null = null;
  let virtualCard: ThreadedVirtualCard | null = null;
  if (useVirtual) {
    pcsc = await startPcscEnvironment();
    // On its own thread: this process's PC/SC calls can block its main thread (threaded-virtual-card.ts says why).
    virtualCard = await startThreadedVirtualCard({
      profile: options.profile ?? 'p256',
      port: pcsc.vpcdPort,
      pki,
      commonName: options.cardholderName ?? 'Demo Cardholder',
    });
    log(`virtual card: ${options.profile ?? 'p256'} in "${pcsc.readerName}" (PIN ${virtualCard.identity.pin})`);
  }
  let card: KioskCardPort;
  try {
    card =
      options.reader === undefined
        ? createPcscCardPort(createSmartCardService())
        : await cardPortOnReader(createSmartCardService(), options.reader);
  } catch (error: unknown) {
    // A reader that is not there: nothing the demo started may outlive the refusal.
    await virtualCard?.stop();
    await pcsc?.stop();
    await issuer.close();
    ownDataDir?.remove();
    throw error;
  }
  return {
    issuer,
    dataDir,
    issuerCaFile,
    pki,
    card,
    virtualCard,
    pcsc,
    stop: async () => {
      await virtualCard?.stop();
      await pcsc?.stop();
      await issuer.close();
      ownDataDir?.remove();
    },
  };
}

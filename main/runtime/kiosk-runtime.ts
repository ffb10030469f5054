// Wires the kiosk together from its parts: issuer client + card port (+ optional virtual card) → controller.
// Used by both hosts (Electron main, browser host via `dck kiosk --browser`) and by the end-to-end tests.
import type { KioskConfig, KioskHandlers, KioskView } from '../../contracts/kiosk-api.ts';
import type { KioskCardPort, VirtualCardPort } from '../card/card-port.ts';
import { HttpsIssuerClient } from '../issuer-client/https-issuer-client.ts';
import { startHeartbeat } from '../heartbeat/kiosk-heartbeat.ts';
import { kioskRequestSigner } from '../identity/kiosk-request-signer.ts';
import { trackReaderState } from '../heartbeat/reader-state.ts';
import type { KioskIdentity } from '../identity/kiosk-identity.ts';
import { KioskController } from '../session/controller.ts';
import type { KioskLog } from '../session/controller.ts';
import { DEFAULT_SESSION_CONFIG } from '../session/reducer.ts';
import type { SessionConfig } from '../session/state.ts';

export interface KioskRuntimeOptions {
  readonly issuerUrl: string;
  /** PEM the issuer's TLS certificate must chain to (the embedded issuer's self-signed loopback certificate). */
  readonly issuerTrustPem: string;
  readonly card: KioskCardPort;
  readonly virtualCard?: VirtualCardPort | null;
  readonly kiosk?: Partial<KioskConfig>;
  readonly session?: Partial<SessionConfig>;
  readonly completionWaitSeconds?: number;
  readonly log?: KioskLog;
  /** The name the issuer knows this kiosk by (its configuration's kiosk.name). */
  readonly kioskName?: string;
  /** The kiosk's key pair (main/identity/): with it, the kiosk sends its signed heartbeat to the issuer. */
  readonly identity?: KioskIdentity;
  readonly heartbeatIntervalMs?: number;
  /** Reported in the heartbeat (the Electron host knows it: app.getVersion()). */
  readonly appVersion?: string;
}

/** What a host serves: the handlers behind `window.kiosk` and the views it pushes. */
export interface KioskService {
  readonly handlers: KioskHandlers;
  readonly view: KioskView;
  onView(listener: (view: KioskView) => void): () => void;
  stop(): Promise<void>;
}

export interface KioskRuntime {
  readonly controller: KioskController;
  readonly issuer: HttpsIssuerClient;
  stop(): Promise<void>;
}

/**
 * The service a host serves from a running kiosk, with `extra` plain fields beside it; `stop` ends the runtime and
 * then whatever `alsoStop` names. (`view` stays a live getter: never spread the result.)
 */
export function kioskServiceOf<Extra extends object>(
  runtime: KioskRuntime,
  extra: Extra,
  alsoStop: () => Promise<void> = () => Promise.resolve(),
): KioskService & Extra {
  const controller = runtime.controller;
  return {
    ...extra,
    handlers: controller.handlers,
    get view() {
      return controller.view;
    },
    onView: (listener) => controller.onView(listener),
    stop: async () => {
      await runtime.stop();
      await alsoStop();
    },
  };
}

export const DEFAULT_KIOSK_CONFIG: KioskConfig = {
  languages: ['en', 'nl'],
  defaultLanguage: 'en',
  helpUrl: 'https://example.org/help/derived-credentials',
  displayName: 'Derived credential kiosk',
  idleSeconds: DEFAULT_SESSION_CONFIG.idleSeconds,
};

export async function startKioskRuntime(options: KioskRuntimeOptions): Promise<KioskRuntime> {
  const issuer = new HttpsIssuerClient({
    baseUrl: options.issuerUrl,
    trustedCaPem: options.issuerTrustPem,
    // Without a configured name (the demo, the embedded issuer's tests) the label says so instead of posing as one.
    kioskId: options.identity?.name ?? options.kioskName ?? 'unnamed-kiosk',
    // With its own key the kiosk signs the calls that start an enrollment (the issuer names it in the agents' queue).
    ...(options.identity === undefined ? {} : { signer: kioskRequestSigner(options.identity) }),
  });
  // The issuer's own metadata (name, help URL) wins over defaults, explicit options over both.
  const metadata = await issuer.metadata();
  const fromIssuer: Partial<KioskConfig> = metadata.ok
    ? {
        displayName: metadata.value.displayName,
        ...(metadata.value.helpUrl === null ? {} : { helpUrl: metadata.value.helpUrl }),
      }
    : {};
  const session: SessionConfig = { ...DEFAULT_SESSION_CONFIG, ...options.session };
  const kiosk: KioskConfig = {
    ...DEFAULT_KIOSK_CONFIG,
    ...fromIssuer,
    ...options.kiosk,
    idleSeconds: session.idleSeconds,
  };
  const controller = new KioskController({
    card: options.card,
    issuer,
    virtualCard: options.virtualCard ?? null,
    session,
    kiosk,
    ...(options.completionWaitSeconds === undefined ? {} : { completionWaitSeconds: options.completionWaitSeconds }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  controller.start();
  const stopHeartbeat = options.identity === undefined ? () => undefined : beat(options, options.identity, issuer);
  return {
    controller,
    issuer,
    stop: async () => {
      stopHeartbeat();
      await controller.stop();
      issuer.close();
    },
  };
}

/** Starts the signed heartbeat (after the controller subscribed to the card port, so its start order is unchanged). */
function beat(options: KioskRuntimeOptions, identity: KioskIdentity, issuer: HttpsIssuerClient): () => void {
  const readers = trackReaderState(options.card, options.appVersion ?? 'unknown');
  const stop = startHeartbeat({
    identity,
    report: () => readers.report(),
    send: async (heartbeat) => {
      const answer = await issuer.heartbeat(heartbeat);
      return answer.ok ? null : answer.error.code;
    },
    ...(options.heartbeatIntervalMs === undefined ? {} : { intervalMs: options.heartbeatIntervalMs }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  return () => {
    stop();
    readers.stop();
  };
}

// The issuer's Prometheus metrics (prom-client), one registry per running issuer (tests run several in one
// process). With `--workers N` every worker keeps its own and /metrics answers the sum over all workers
// (cluster/metrics-relay.ts). Names follow Prometheus conventions: `dck_issuer_` prefix, `_total` counters,
// `_seconds` histograms; label values come from fixed sets (route patterns, error codes), never from requests.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CaSignerUnavailableError } from '../ca/ca-signer.ts';
import type { OperatedCaSigner } from '../ca/ca-signer.ts';

/** Request latency buckets (seconds): sub-millisecond reads up to the one-minute long-poll. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60];
/** Signer latency buckets: a software key signs in ~50 µs, an HSM in ~0.5–20 ms. */
const SIGNER_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];

export class IssuerMetrics {
  readonly registry = new Registry();
  readonly requestDuration = new Histogram({
    name: 'dck_issuer_http_request_duration_seconds',
    help: 'Time to answer a request, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  readonly enrollments = new Counter({
    name: 'dck_issuer_enrollments_total',
    help: 'Kiosk approvals of a phone code (POST /enrollments), by result: created, or the error code.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly devicePairings = new Counter({
    name: 'dck_issuer_device_pairings_total',
    help: 'Number matching at the kiosk (POST /device-pairings, …/deny), by result: shown, denied, or the error code.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly pkiAuthRefusals = new Counter({
    name: 'dck_issuer_pki_auth_refusals_total',
    help: 'PKI-AUTH answers refused, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly pkiAuthSuccesses = new Counter({
    name: 'dck_issuer_pki_auth_successes_total',
    help: 'PKI-AUTH answers that opened a kiosk session.',
    registers: [this.registry],
  });
  readonly redeems = new Counter({
    name: 'dck_issuer_redeems_total',
    help: 'Phone redemptions, by outcome: issued, or the error code.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly signerDuration = new Histogram({
    name: 'dck_issuer_ca_signer_duration_seconds',
    help: 'Time the CA key takes to sign (certificates, probes), by signer kind.',
    labelNames: ['signer'] as const,
    buckets: SIGNER_BUCKETS,
    registers: [this.registry],
  });
  readonly signerErrors = new Counter({
    name: 'dck_issuer_ca_signer_errors_total',
    help: 'Signatures the CA key could not make, by reason (a CKR_ name or own code).',
    labelNames: ['signer', 'reason'] as const,
    registers: [this.registry],
  });
  readonly signerUp = new Gauge({
    name: 'dck_issuer_ca_signer_up',
    help: '1 when the last health check of the CA key succeeded (min over workers).',
    aggregator: 'min',
    registers: [this.registry],
  });
  readonly storageBusyRetries = new Counter({
    name: 'dck_issuer_storage_busy_retries_total',
    help: 'Database calls retried because another process held the lock.',
    registers: [this.registry],
  });
  readonly storageBusyFailures = new Counter({
    name: 'dck_issuer_storage_busy_failures_total',
    help: 'Requests failed because the database stayed locked past the deadline.',
    registers: [this.registry],
  });
  readonly ready = new Gauge({
    name: 'dck_issuer_ready',
    help: '1 when the last /readyz answered ready (min over workers).',
    aggregator: 'min',
    registers: [this.registry],
  });

  readonly eligibilityChecks = new Counter({
    name: 'dck_issuer_eligibility_checks_total',
    help: 'Linked cards re-checked by the card monitor, by verdict: good, revoked, unknown (no current CRL/OCSP answer: flagged).',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });
  readonly eligibilityUnknownCards = new Gauge({
    name: 'dck_issuer_eligibility_unknown_cards',
    help: 'Cards the last card monitor run left without a current revocation answer.',
    aggregator: 'max',
    registers: [this.registry],
  });
  readonly eligibilityActionFailures = new Counter({
    name: 'dck_issuer_eligibility_action_failures_total',
    help: 'Revoked cards whose policy (revoke-derived, flag) failed to apply (retried next run).',
    registers: [this.registry],
  });

  constructor() {
    // Process figures (CPU, memory, event-loop delay, open handles), summed or per-process as prom-client decides.
    collectDefaultMetrics({ register: this.registry, prefix: 'dck_issuer_' });
    this.signerUp.set(1);
  }

  /** The figures of one card monitor run (issuer/eligibility/card-monitor.ts). */
  observeEligibilityRun(run: {
    checked: number;
    good: number;
    revoked: number;
    unknown: number;
    actionsFailed: number;
  }): void {
    for (const verdict of ['good', 'revoked', 'unknown'] as const)
      this.eligibilityChecks.inc({ verdict }, run[verdict]);
    if (run.checked > 0) this.eligibilityUnknownCards.set(run.unknown);
    this.eligibilityActionFailures.inc(run.actionsFailed);
  }

  /** The CA signer, with every signature timed and every failure counted. */
  measuredSigner(signer: OperatedCaSigner): OperatedCaSigner {
    const { signerDuration, signerErrors, signerUp } = this;
    return {
      kind: signer.kind,
      signatureAlgorithmDer: signer.signatureAlgorithmDer,
      publicKeySpkiDer: signer.publicKeySpkiDer,
      async sign(data) {
        const stop = signerDuration.startTimer({ signer: signer.kind });
        try {
          return await signer.sign(data);
        } catch (error) {
          signerErrors.inc({
            signer: signer.kind,
            reason: error instanceof CaSignerUnavailableError ? error.reason : 'error',
          });
          throw error;
        } finally {
          stop();
        }
      },
      async health() {
        const health = await signer.health();
        signerUp.set(health.ok ? 1 : 0);
        return health;
      },
      close: () => signer.close(),
    };
  }
}

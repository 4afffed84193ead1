// The operator's Prometheus metrics, on a registry of their own (not
// prom-client's global one) so that tests and several instances in one
// process never collide. Labels hold names, IDs and fixed enums only: never
// anything taken from a Secret.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isApigError } from '../apig/errors.ts';
import type { ApigErrorKind, ApigOperation } from '../apig/errors.ts';
import { systemClock, type Clock } from '../common/clock.ts';
import type { ReconcileResult } from '../controller/reconcile.ts';

export const METRIC_PREFIX = 'apig_cert_operator_';
/** The `provider` label of calls made with the environment configuration. */
export const ENVIRONMENT_PROVIDER = 'environment';

/** `ok`, the ApigError kind, or `error` for anything that is not an ApigError. */
export type ApigCallOutcome = 'ok' | ApigErrorKind | 'error';

/** The counters of a watch that mean "it had to start over" (ListWatch.stats() fits). */
export interface WatchRestartCounts {
  /** 410 Gone / resourceVersion too old. */
  expired: number;
  /** Aborted by the no-events watchdog. */
  stalls: number;
  /** Failed LIST/WATCH attempts. */
  errors: number;
}

/** An APIG client's pacer as /metrics shows it (Pacer.stats() fits). */
export interface PacingCounts {
  /** Requests per second it allows now. */
  rate: number;
  /** 429s (and 500 APIG.9008s) it has seen, also those it sent again. */
  throttled: number;
}

/** What APIG holds for one ApigCertificate, as the controller last saw it. */
export interface ResourceState {
  certificateId: string;
  /** Ready condition is True. */
  ready: boolean;
  /** status.notAfter; undefined (or an invalid date) removes the not-after series. */
  notAfter: Date | undefined;
  /** Declared domains APIG reports attached; undefined (no domains declared) removes the series. */
  attachedDomains?: number | undefined;
}

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event loop, GC). Default true. */
  defaultMetrics?: boolean;
  /** Times the duration histograms; default systemClock, tests pass a FakeClock. */
  clock?: Clock;
}

export function apigCallOutcome(error: unknown): ApigCallOutcome {
  return isApigError(error) ? error.kind : 'error';
}

const RECONCILE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Up to the 30 s default APIG_TIMEOUT and beyond (IAM token fetch plus PUT). */
const APIG_CALL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type ResourceLabels = { namespace: string; name: string };

export class Metrics {
  readonly registry = new Registry();
  readonly #clock: Clock;
  readonly #reconciles: Counter<'result'>;
  readonly #reconcileSeconds: Histogram<'result'>;
  readonly #apigCalls: Counter<'operation' | 'outcome' | 'provider'>;
  readonly #apigCallSeconds: Histogram<'operation' | 'outcome' | 'provider'>;
  readonly #providerReady: Gauge<'provider'>;
  readonly #leader: Gauge;
  readonly #notAfter: Gauge<'namespace' | 'name' | 'certificate_id'>;
  readonly #ready: Gauge<'namespace' | 'name'>;
  readonly #attachedDomains: Gauge<'namespace' | 'name'>;
  readonly #drift: Counter<'kind'>;
  /** The certificate_id label of each resource's not-after series, to remove it exactly. */
  readonly #notAfterCertificateIds = new Map<string, string>();
  readonly #watchSources = new Map<string, () => WatchRestartCounts>();
  readonly #pacingSources = new Map<string, () => PacingCounts>();
  #queueDepth: () => number = () => 0;

  constructor(options: MetricsOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    const registers = [this.registry];
    this.#reconciles = new Counter({
      name: `${METRIC_PREFIX}reconcile_total`,
      help: 'Reconciles of ApigCertificate resources by result.',
      labelNames: ['result'],
      registers,
    });
    this.#reconcileSeconds = new Histogram({
      name: `${METRIC_PREFIX}reconcile_duration_seconds`,
      help: 'Time one reconcile took, by result.',
      labelNames: ['result'],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.#apigCalls = new Counter({
      name: `${METRIC_PREFIX}apig_requests_total`,
      help: 'APIG / ROMA Connect API calls by operation, outcome (ok or the error kind) and provider.',
      labelNames: ['operation', 'outcome', 'provider'],
      registers,
    });
    this.#apigCallSeconds = new Histogram({
      name: `${METRIC_PREFIX}apig_request_duration_seconds`,
      help: 'Time one APIG call took, rate-limit wait included, by operation, outcome and provider.',
      labelNames: ['operation', 'outcome', 'provider'],
      buckets: APIG_CALL_BUCKETS,
      registers,
    });
    const queueDepth = (): number => this.#queueDepth();
    new Gauge({
      name: `${METRIC_PREFIX}queue_depth`,
      help: 'Keys waiting in the work queue.',
      registers,
      collect: function (this: Gauge) {
        this.set(queueDepth());
      },
    });
    const watchSources = this.#watchSources;
    new Counter({
      name: `${METRIC_PREFIX}watch_restarts_total`,
      help: 'Watches that had to start over, by resource and reason (expired, stalled, error).',
      labelNames: ['resource', 'reason'],
      registers,
      collect: function (this: Counter<'resource' | 'reason'>) {
        // The watches count for themselves; this copies their totals.
        this.reset();
        for (const [resource, stats] of watchSources) {
          const counts = stats();
          this.inc({ resource, reason: 'expired' }, counts.expired);
          this.inc({ resource, reason: 'stalled' }, counts.stalls);
          this.inc({ resource, reason: 'error' }, counts.errors);
        }
      },
    });
    const pacingSources = this.#pacingSources;
    new Gauge({
      name: `${METRIC_PREFIX}apig_request_rate`,
      help: "Requests per second the provider's APIG client allows now: 97 % of its limit, lowered after a 429.",
      labelNames: ['provider'],
      registers,
      collect: function (this: Gauge<'provider'>) {
        this.reset();
        for (const [provider, stats] of pacingSources) this.set({ provider }, stats().rate);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}apig_throttled_total`,
      help: "APIG's 429 answers per provider, also those the client's pacer sent again.",
      labelNames: ['provider'],
      registers,
      collect: function (this: Counter<'provider'>) {
        // The pacers count for themselves; this copies their totals.
        this.reset();
        for (const [provider, stats] of pacingSources) this.inc({ provider }, stats().throttled);
      },
    });
    this.#leader = new Gauge({
      name: `${METRIC_PREFIX}leader`,
      help: '1 while this process holds the leader lease, else 0.',
      registers,
    });
    this.#leader.set(0);
    this.#notAfter = new Gauge({
      name: 'apig_certificate_not_after_seconds',
      help: 'not_after of the certificate APIG holds for an ApigCertificate, in seconds since the epoch.',
      labelNames: ['namespace', 'name', 'certificate_id'],
      registers,
    });
    this.#ready = new Gauge({
      name: 'apig_certificate_ready',
      help: '1 when the ApigCertificate is Ready (APIG holds what the Secret holds), else 0.',
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.#attachedDomains = new Gauge({
      name: 'apig_certificate_attached_domains',
      help: "Declared domains APIG reports the ApigCertificate's certificate attached to.",
      labelNames: ['namespace', 'name'],
      registers,
    });
    this.#drift = new Counter({
      name: `${METRIC_PREFIX}drift_total`,
      help: 'Differences between APIG and the Secret found by a read-back and corrected, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.#providerReady = new Gauge({
      name: 'apig_provider_ready',
      help: '1 when the ApigProvider (namespace/name) or ClusterApigProvider (cluster/name) is Ready, else 0.',
      labelNames: ['provider'],
      registers,
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Starts timing one reconcile; call the result with how it ended, or with
   * `error` for a failure outside reconcile itself (e.g. the API server).
   */
  startReconcile(): (result: ReconcileResult | 'error') => void {
    const started = this.#clock.now();
    return (result) => {
      this.#reconciles.inc({ result });
      this.#reconcileSeconds.observe({ result }, this.#seconds(started));
    };
  }

  /**
   * Runs one APIG call, counting and timing it by outcome; its result or error
   * passes through. A call that fails after `signal` aborted is not counted:
   * cancellation says nothing about APIG. `provider` is the provider's label,
   * `environment` for the environment configuration's client.
   */
  async timeApigCall<T>(
    operation: ApigOperation,
    call: () => Promise<T>,
    signal?: AbortSignal,
    provider = ENVIRONMENT_PROVIDER,
  ): Promise<T> {
    const started = this.#clock.now();
    let outcome: ApigCallOutcome = 'ok';
    try {
      return await call();
    } catch (error) {
      outcome = apigCallOutcome(error);
      throw error;
    } finally {
      if (outcome === 'ok' || !signal?.aborted) {
        this.#apigCalls.inc({ operation, outcome, provider });
        this.#apigCallSeconds.observe({ operation, outcome, provider }, this.#seconds(started));
      }
    }
  }

  /** The queue depth is read at every scrape, e.g. `() => queue.length`. */
  setQueueDepthSource(source: () => number): void {
    this.#queueDepth = source;
  }

  /** A watch's restart totals are read at every scrape, e.g. `() => watch.stats()`. */
  addWatchSource(resource: string, stats: () => WatchRestartCounts): void {
    this.#watchSources.set(resource, stats);
  }

  /**
   * An APIG client's pacer is read at every scrape, e.g. `() => client.pacing()`;
   * the returned function removes it (unless another source took its label since).
   */
  addPacingSource(provider: string, stats: () => PacingCounts): () => void {
    this.#pacingSources.set(provider, stats);
    return () => {
      if (this.#pacingSources.get(provider) === stats) this.#pacingSources.delete(provider);
    };
  }

  setLeader(isLeader: boolean): void {
    this.#leader.set(isLeader ? 1 : 0);
  }

  /** One ready series (0/1) and at most one not-after series per resource. */
  setResourceState(namespace: string, name: string, state: ResourceState): void {
    const resource: ResourceLabels = { namespace, name };
    const key = resourceKey(resource);
    const previousId = this.#notAfterCertificateIds.get(key);
    const seconds = state.notAfter ? state.notAfter.getTime() / 1000 : Number.NaN;
    if (previousId !== undefined && (previousId !== state.certificateId || Number.isNaN(seconds))) {
      this.#notAfter.remove({ ...resource, certificate_id: previousId });
      this.#notAfterCertificateIds.delete(key);
    }
    if (!Number.isNaN(seconds)) {
      this.#notAfter.set({ ...resource, certificate_id: state.certificateId }, seconds);
      this.#notAfterCertificateIds.set(key, state.certificateId);
    }
    this.#ready.set(resource, state.ready ? 1 : 0);
    if (state.attachedDomains === undefined) this.#attachedDomains.remove(resource);
    else this.#attachedDomains.set(resource, state.attachedDomains);
  }

  /** A read-back found APIG different from the Secret (serial, notAfter, deleted, domain). */
  countDrift(kind: string): void {
    this.#drift.inc({ kind });
  }

  /** A provider's readiness; undefined (not checked yet, or gone) removes its series. */
  setProviderReady(provider: string, ready: boolean | undefined): void {
    if (ready === undefined) this.#providerReady.remove({ provider });
    else this.#providerReady.set({ provider }, ready ? 1 : 0);
  }

  /** The resource is gone: its series go with it. */
  removeResource(namespace: string, name: string): void {
    const resource: ResourceLabels = { namespace, name };
    const key = resourceKey(resource);
    const certificateId = this.#notAfterCertificateIds.get(key);
    if (certificateId !== undefined) {
      this.#notAfter.remove({ ...resource, certificate_id: certificateId });
      this.#notAfterCertificateIds.delete(key);
    }
    this.#ready.remove(resource);
    this.#attachedDomains.remove(resource);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  #seconds(startedMs: number): number {
    return Math.max(0, this.#clock.now() - startedMs) / 1000;
  }
}

function resourceKey({ namespace, name }: ResourceLabels): string {
  return `${namespace}/${name}`;
}

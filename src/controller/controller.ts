// The controller: watches ApigCertificates and the Secrets and ConfigMaps they
// name, queues `namespace/name` keys, and runs reconcile for each key while
// this replica leads. Watch handlers only enqueue; all I/O happens in workers.
import type { Logger } from 'pino';
import { resolvedBefore } from '../common/abortable.ts';
import { systemClock, type Clock } from '../common/clock.ts';
import { LoopTurns } from '../common/loop-turns.ts';
import type { EventRecorder } from '../kube/event-recorder.ts';
import type { KubeClient } from '../kube/kube-client.ts';
import { storeKey, type WatchEvent } from '../kube/object-store.ts';
import { ReferenceIndex } from '../kube/reference-index.ts';
import type { MetadataStub } from '../kube/metadata.ts';
import { runWorkers, WorkQueue, type HandlerResult } from '../kube/work-queue.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ApigCertificateResource, ApigCertificateStatus } from '../api/v1alpha1.ts';
import type { ProviderKind } from '../api/providers.ts';
import { InputReader } from './inputs.ts';
import type { ProviderRegistry } from './providers/registry.ts';
import {
  providerReferencesOf,
  routeOf,
  type EnvironmentApig,
  NO_APIG,
  NO_TARGET,
} from './providers/route.ts';
import { providerFairness } from './providers/queue-group.ts';
import { AcceptedContentLedger } from './ledger.ts';
import { applyDeletionPolicy } from './deletion-policy.ts';
import { OwnershipIndex } from './lifecycle/ownership.ts';
import { reconcileLifecycle, type LifecycleApig, type LifecycleInput } from './lifecycle/run.ts';
import { Publisher, type StatusWrite } from './publish.ts';
import { referencesOf, type ReferencedKind } from './references.ts';
import type { ReconcileInput, ReconcileOutcome } from './reconcile.ts';
import { timedApig } from './timed-apig.ts';
import { ControllerWatches } from './watches.ts';

export interface ControllerOptions {
  client: KubeClient;
  /** The environment configuration's client; absent when the operator serves providers only. */
  apig?: LifecycleApig | undefined;
  target?: ReconcileInput['apig'] | undefined;
  /** ApigProviders and ClusterApigProviders, for resources with spec.providerRef. */
  providers?: ProviderRegistry | undefined;
  /** WATCH_NAMESPACES; empty means all namespaces. */
  namespaces: readonly string[];
  events: EventRecorder;
  metrics: Metrics;
  logger: Logger;
  /** Every resource is reconciled again after this long (and a refused content retried). */
  resyncPeriodMs: number;
  concurrency: number;
  /** No-events watchdog of each watch. */
  watchInactivityMs: number;
  /** DRIFT_CHECK_INTERVAL: each resource's certificate is read back this often; 0 off. */
  driftCheckIntervalMs: number;
  /** DRY_RUN: decisions reported, no APIG write. */
  dryRun: boolean;
  /** Default systemClock. */
  clock?: Clock;
}

export class CertificateController {
  readonly #options: ControllerOptions;
  readonly #clock: Clock;
  readonly #index = new ReferenceIndex(referencesOf);
  readonly #watches: ControllerWatches;
  readonly #environment: EnvironmentApig | undefined;
  /** Provider → the resources that name it in spec.providerRef. */
  readonly #providerIndex = new ReferenceIndex<ApigCertificateResource, ProviderKind>(
    providerReferencesOf,
  );
  readonly #inputs: InputReader;
  readonly #publisher: Publisher;
  /** See ledger.ts for the one-PUT-per-content guarantee this takes part in. */
  readonly #ledger = new AcceptedContentLedger();
  /** Keys whose last write ended with an unknown outcome: read back before writing again. */
  readonly #readBack = new Set<string>();
  /** The certificate and key checks of concurrent reconciles, one per loop turn. */
  readonly #turns = new LoopTurns();
  /** Who owns which APIG certificate, kept in step with the ApigCertificate watch. */
  readonly #ownership = new OwnershipIndex((resource) => {
    const route = routeOf(resource, this.#environment, this.#options.providers);
    return route.kind === 'ready' ? route.target : NO_TARGET;
  });
  /** Exists while this replica leads. */
  #queue: WorkQueue | undefined;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    const { client, namespaces, logger, watchInactivityMs } = options;
    this.#watches = new ControllerWatches({
      client,
      namespaces,
      logger,
      watchdogMs: watchInactivityMs,
      onCertificateEvent: (event) => this.#onCertificateEvent(event),
      onReferencedEvent: (kind, event) => {
        this.#onReferencedEvent(kind, event);
        if (kind === 'Secret') options.providers?.onSecretEvent(event);
      },
    });
    this.#inputs = new InputReader({
      client,
      cached: (key) => this.#watches.certificates.get(key),
    });
    const { metrics, apig, target, events } = options;
    this.#publisher = new Publisher({ client, events, metrics });
    this.#environment = apig && target ? { target, apig: timedApig(apig, metrics) } : undefined;
    options.providers?.onChange((id) => {
      const ref = { kind: id.kind, namespace: id.namespace ?? '', name: id.name };
      for (const key of this.#providerIndex.owners(ref)) {
        // The provider's endpoint and project are part of the resource's target identity.
        const resource = this.#watches.certificates.get(key);
        if (resource) this.#ownership.set(resource);
        this.#queue?.add(key);
      }
    });
    metrics.setQueueDepthSource(() => this.#queue?.length ?? 0);
    this.#watches.registerMetrics(metrics);
  }

  /** Starts the watches (every replica keeps its caches warm, leader or not). */
  startWatches(): void {
    this.#watches.start();
  }

  hasSynced(): boolean {
    return this.#watches.hasSynced();
  }

  /**
   * Reconciles while `signal` is not aborted (leadership): every resource once
   * at the start, then whatever the watches enqueue. Resolves after in-flight
   * reconciles finish.
   */
  async lead(signal: AbortSignal): Promise<void> {
    if (!(await resolvedBefore(this.#watches.synced(), signal))) return;
    // Another replica may have written while we did not lead.
    this.#inputs.forgetAll();
    const cached = (key: string) => this.#watches.certificates.get(key);
    const queue = new WorkQueue({ fairness: providerFairness(cached, this.#options.concurrency) });
    this.#queue = queue;
    signal.addEventListener('abort', () => void queue.shutDown(), { once: true });
    for (const resource of this.#watches.certificates.list())
      queue.add(storeKey(resource.metadata));
    await runWorkers(
      queue,
      this.#options.concurrency,
      (key, stop) => this.#reconcileKey(key, stop),
      {
        onError: (key, error, delayMs) =>
          this.#options.logger.warn(
            { resource: key, err: error, retryInMs: Math.round(delayMs) },
            'reconcile failed; retrying with backoff',
          ),
      },
    );
    this.#queue = undefined;
  }

  async stopWatches(): Promise<void> {
    await this.#watches.stop();
  }

  #onCertificateEvent(event: WatchEvent<ApigCertificateResource>): void {
    this.#index.applyOwnerEvent(event);
    this.#providerIndex.applyOwnerEvent(event);
    const { metadata } = event.object;
    if (event.type === 'delete') {
      // A resource refused as DuplicateTarget may take over now.
      for (const rival of this.#ownership.rivalsOf(event.object)) {
        this.#queue?.add(storeKey(rival.metadata));
      }
      this.#ownership.delete(storeKey(metadata));
      this.#readBack.delete(storeKey(metadata));
      this.#inputs.forget(storeKey(metadata));
      this.#options.metrics.removeResource(metadata.namespace, metadata.name);
      this.#options.events.forget(event.object);
      return;
    }
    this.#ownership.set(event.object);
    // Our own status writes change only status: not a reason to reconcile.
    if (
      event.type === 'update' &&
      event.old.metadata.generation === metadata.generation &&
      event.old.metadata.deletionTimestamp === metadata.deletionTimestamp
    ) {
      return;
    }
    this.#queue?.add(storeKey(metadata));
  }

  #onReferencedEvent(kind: ReferencedKind, event: WatchEvent<MetadataStub>): void {
    for (const key of this.#index.ownersOfEvent(kind, event)) this.#queue?.add(key);
  }

  async #reconcileKey(key: string, signal: AbortSignal): Promise<HandlerResult> {
    const [namespace = '', name = ''] = key.split('/');
    const logger = this.#options.logger.child({ resource: key });
    const done = this.#options.metrics.startReconcile();
    let outcome: ReconcileOutcome;
    try {
      const resource = await this.#inputs.currentResource(key, signal);
      if (!resource) {
        this.#forget(key, namespace, name);
        done('unchanged');
        return {};
      }
      const route = routeOf(resource, this.#environment, this.#options.providers);
      if (route.kind === 'pending') {
        // The registry enqueues this resource once its provider is checked.
        done('unchanged');
        return {};
      }
      const current = await applyDeletionPolicy(resource, route, signal, {
        dryRun: this.#options.dryRun,
        now: () => new Date(this.#clock.now()),
        publisher: this.#publisher,
        reportFailure: (outcome) => this.#reportFailure(resource, outcome),
        forgetCached: () => this.#inputs.forget(key),
      });
      if (current.kind !== 'reconcile') {
        if (current.kind === 'conflict') return { requeueAfterMs: 0 };
        if (current.kind === 'gone') this.#forget(key, namespace, name);
        done(current.kind === 'failed' ? 'apig_error' : 'unchanged');
        if (current.kind === 'failed') throw current.error;
        return {};
      }
      const input: LifecycleInput = {
        resource: current.resource,
        ...(await this.#inputs.referenced(current.resource, signal)),
        apig: route.kind === 'ready' ? route.target : NO_TARGET,
        ...(route.kind === 'unavailable' ? { unavailable: route } : {}),
        now: new Date(this.#clock.now()),
        retryRefusedAfterMs: this.#options.resyncPeriodMs,
        acceptedEarlier: this.#ledger.unrecorded(key),
        ownedBy: ownerKey(this.#ownership.ownerOf(current.resource)),
        driftCheckIntervalMs: this.#options.driftCheckIntervalMs,
        readBackFirst: this.#readBack.has(key),
        dryRun: this.#options.dryRun,
      };
      let base = current.resource; // as the pass's status writes so far left it
      const recordIntent = async (status: ApigCertificateStatus) => {
        base = await this.#publisher.writeIntent(base, status);
        this.#inputs.forget(key); // the cached copy predates that write
        return base;
      };
      const apig = route.kind === 'ready' ? route.apig : NO_APIG;
      await this.#turns.next();
      outcome = await reconcileLifecycle(input, { apig, recordIntent }, signal);
      if (outcome.accepted) this.#ledger.accepted(key, outcome.accepted);
      if (outcome.error?.outcomeUnknown) this.#readBack.add(key);
      else if (outcome.result !== 'apig_error') this.#readBack.delete(key);
      const recorded = await this.#recordStatus(key, base, outcome, logger);
      if (recorded === 'conflict') return { requeueAfterMs: 0 };
      if (recorded === 'gone') {
        // Deleted while we worked: no event to attach, no series to keep.
        this.#forget(key, namespace, name);
        done(outcome.result);
        return {};
      }
      await this.#publisher.report(current.resource, outcome, logger);
    } catch (error) {
      // Cancelled (lost leadership, shutdown): not a failure; the next leader
      // reconciles the key afresh, and nothing unsent was sent.
      if (signal.aborted) {
        logger.debug({ err: error }, 'reconcile cancelled');
        return {};
      }
      done('error');
      throw error;
    }
    done(outcome.result);
    if (outcome.error) throw outcome.error;
    const resync = this.#options.resyncPeriodMs;
    return { requeueAfterMs: Math.min(Math.max(outcome.requeueAfterMs ?? resync, 0), resync) };
  }

  /**
   * Writes the outcome's status and keeps the verified versions and the ledger
   * in step. 'conflict' when the resource changed since it was read (a spec
   * edit, another writer): it is read again at once, which is neither a
   * failure nor counted; the ledger keeps what APIG accepted, so that pass
   * records it. 'gone' when it was deleted meanwhile.
   */
  async #recordStatus(
    key: string,
    resource: ApigCertificateResource,
    outcome: ReconcileOutcome,
    logger: Logger,
  ): Promise<'written' | 'conflict' | 'gone'> {
    let write: StatusWrite;
    try {
      write = await this.#publisher.writeStatus(resource, outcome.status);
    } catch (error) {
      this.#inputs.forget(key);
      throw error;
    }
    if (write.kind === 'conflict') {
      this.#inputs.forget(key);
      logger.debug('status changed while reconciling; reading it again');
      return 'conflict';
    }
    if (write.kind === 'gone') return 'gone';
    if (write.resourceVersion !== undefined) this.#inputs.verified(key, write.resourceVersion);
    this.#ledger.recorded(key);
    return 'written';
  }

  /** A cleanup APIG refused: on the resource as a condition and an event. */
  async #reportFailure(
    resource: ApigCertificateResource,
    outcome: ReconcileOutcome,
  ): Promise<void> {
    const key = storeKey(resource.metadata);
    const logger = this.#options.logger.child({ resource: key });
    const recorded = await this.#recordStatus(key, resource, outcome, logger);
    if (recorded === 'written') await this.#publisher.report(resource, outcome, logger);
  }

  /** A resource that no longer exists: nothing to remember, no metric series left. */
  #forget(key: string, namespace: string, name: string): void {
    this.#ledger.recorded(key);
    this.#readBack.delete(key);
    this.#inputs.forget(key);
    this.#options.metrics.removeResource(namespace, name);
  }
}

function ownerKey(owner: ApigCertificateResource | undefined): string | undefined {
  return owner ? storeKey(owner.metadata) : undefined;
}

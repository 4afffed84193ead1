// The controller: watches ApigCertificates and the Secrets and ConfigMaps they
// name, queues `namespace/name` keys, and runs reconcile for each key while
// this replica leads. Watch handlers only enqueue; all I/O happens in workers.
import type { Logger } from 'pino';
import type { ApigCertificate, CertificateBody, CertificateTarget } from '../apig/index.ts';
import type { SecretInput } from '../certs/index.ts';
import type { EventRecorder } from '../kube/event-recorder.ts';
import { isKubeApiError, type KubeClient } from '../kube/kube-client.ts';
import { storeKey, type WatchEvent } from '../kube/object-store.ts';
import { ReferenceIndex } from '../kube/reference-index.ts';
import { CONFIG_MAPS, SECRETS, objectPath } from '../kube/resources.ts';
import { writeStatus } from '../kube/status-writer.ts';
import type { MetadataStub } from '../kube/metadata.ts';
import { ResourceWatch } from '../kube/resource-watch.ts';
import { runWorkers, WorkQueue, type HandlerResult } from '../kube/work-queue.ts';
import type { Metrics } from '../observability/metrics.ts';
import {
  API_VERSION,
  APIG_CERTIFICATE_KIND,
  APIG_CERTIFICATE_RESOURCE,
  type ApigCertificateResource,
} from '../api/v1alpha1.ts';
import { READY } from './conditions.ts';
import { referencesOf, type ReferencedKind } from './references.ts';
import {
  reconcile,
  type AcceptedContent,
  type ApigUpdater,
  type Lookup,
  type ReconcileInput,
  type ReconcileOutcome,
} from './reconcile.ts';

export interface ControllerOptions {
  client: KubeClient;
  apig: ApigUpdater;
  target: ReconcileInput['apig'];
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
  now?: () => Date;
}

export class CertificateController {
  readonly #options: ControllerOptions;
  readonly #now: () => Date;
  readonly #index = new ReferenceIndex(referencesOf);
  readonly #certificates: ResourceWatch<ApigCertificateResource>;
  readonly #secrets: ResourceWatch<MetadataStub>;
  readonly #configMaps: ResourceWatch<MetadataStub>;
  readonly #apig: ApigUpdater;
  /** Exists while this replica leads. */
  #queue: WorkQueue | undefined;
  /**
   * Contents APIG accepted whose status write failed, by key: the next pass
   * records them instead of sending them again (one PUT per content).
   */
  readonly #unrecorded = new Map<string, AcceptedContent>();
  /**
   * The resourceVersion each resource had when this process last read it from
   * the API server or wrote its status: a cached copy at that version is
   * known to hold our own last write.
   */
  readonly #verifiedVersions = new Map<string, string>();

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    const { client, namespaces, logger, watchInactivityMs } = options;
    const common = { client, namespaces, logger, watchdogMs: watchInactivityMs };
    this.#certificates = new ResourceWatch<ApigCertificateResource>({
      ...common,
      resource: APIG_CERTIFICATE_RESOURCE,
      onEvent: (event) => this.#onCertificateEvent(event),
    });
    // Secrets and ConfigMaps: metadata only, so memory does not grow with
    // Secrets the operator never reads; workers GET the referenced ones.
    this.#secrets = new ResourceWatch<MetadataStub>({
      ...common,
      resource: SECRETS,
      metadataOnly: true,
      onEvent: (event) => this.#onReferencedEvent('Secret', event),
    });
    this.#configMaps = new ResourceWatch<MetadataStub>({
      ...common,
      resource: CONFIG_MAPS,
      metadataOnly: true,
      onEvent: (event) => this.#onReferencedEvent('ConfigMap', event),
    });
    const { metrics, apig } = options;
    this.#apig = {
      updateCertificate: (
        target: CertificateTarget,
        body: CertificateBody,
      ): Promise<ApigCertificate> =>
        metrics.timeApigCall('updateCertificate', () => apig.updateCertificate(target, body)),
    };
    metrics.setQueueDepthSource(() => this.#queue?.length ?? 0);
    metrics.addWatchSource('apigcertificates', () => this.#certificates.stats());
    metrics.addWatchSource('secrets', () => this.#secrets.stats());
    metrics.addWatchSource('configmaps', () => this.#configMaps.stats());
  }

  /** Starts the watches (every replica keeps its caches warm, leader or not). */
  startWatches(): void {
    this.#certificates.start();
    this.#secrets.start();
    this.#configMaps.start();
  }

  hasSynced(): boolean {
    return (
      this.#certificates.hasSynced() && this.#secrets.hasSynced() && this.#configMaps.hasSynced()
    );
  }

  /** Number of Secrets held in memory (metadata only), for the benchmark and tests. */
  get cachedSecrets(): number {
    return this.#secrets.size;
  }

  /**
   * Reconciles while `signal` is not aborted (leadership): every resource once
   * at the start, then whatever the watches enqueue. Resolves after in-flight
   * reconciles finish.
   */
  async lead(signal: AbortSignal): Promise<void> {
    await Promise.all([
      this.#certificates.synced(),
      this.#secrets.synced(),
      this.#configMaps.synced(),
    ]);
    if (signal.aborted) return;
    // Another replica may have written while we did not lead.
    this.#verifiedVersions.clear();
    const queue = new WorkQueue();
    this.#queue = queue;
    signal.addEventListener('abort', () => void queue.shutDown(), { once: true });
    for (const resource of this.#certificates.list()) queue.add(storeKey(resource.metadata));
    await runWorkers(queue, this.#options.concurrency, (key) => this.#reconcileKey(key), {
      onError: (key, error, delayMs) =>
        this.#options.logger.warn(
          { resource: key, err: error, retryInMs: Math.round(delayMs) },
          'reconcile failed; retrying with backoff',
        ),
    });
    this.#queue = undefined;
  }

  async stopWatches(): Promise<void> {
    await Promise.all([this.#certificates.stop(), this.#secrets.stop(), this.#configMaps.stop()]);
  }

  #onCertificateEvent(event: WatchEvent<ApigCertificateResource>): void {
    this.#index.applyOwnerEvent(event);
    const { metadata } = event.object;
    if (event.type === 'delete') {
      this.#verifiedVersions.delete(storeKey(metadata));
      this.#options.metrics.removeResource(metadata.namespace, metadata.name);
      this.#options.events.forget(event.object);
      return;
    }
    // Our own status writes change only status: not a reason to reconcile.
    if (event.type === 'update' && event.old.metadata.generation === metadata.generation) return;
    this.#queue?.add(storeKey(metadata));
  }

  #onReferencedEvent(kind: ReferencedKind, event: WatchEvent<MetadataStub>): void {
    for (const key of this.#index.ownersOfEvent(kind, event)) this.#queue?.add(key);
  }

  async #reconcileKey(key: string): Promise<HandlerResult> {
    const [namespace = '', name = ''] = key.split('/');
    const logger = this.#options.logger.child({ resource: key });
    const done = this.#options.metrics.startReconcile();
    let outcome: ReconcileOutcome;
    try {
      const resource = await this.#currentResource(key, namespace, name);
      if (!resource) {
        this.#unrecorded.delete(key);
        this.#verifiedVersions.delete(key);
        this.#options.metrics.removeResource(namespace, name);
        done('unchanged');
        return {};
      }
      const input = await this.#gather(resource);
      outcome = await reconcile(
        { ...input, acceptedEarlier: this.#unrecorded.get(key) },
        this.#apig,
      );
      if (outcome.accepted) this.#unrecorded.set(key, outcome.accepted);
      await this.#publish(resource, outcome, logger);
      this.#unrecorded.delete(key);
    } catch (error) {
      done('error');
      throw error;
    }
    done(outcome.result);
    if (outcome.error) throw outcome.error;
    const resync = this.#options.resyncPeriodMs;
    return { requeueAfterMs: Math.min(Math.max(outcome.requeueAfterMs ?? resync, 0), resync) };
  }

  /**
   * The resource as the API server has it. A cached copy may predate our last
   * status write and its syncedHash (a stale snapshot is how peers sent the
   * same certificate twice), so the cache is used only when it is at the
   * version this process last saw from the API server; otherwise it is read.
   */
  async #currentResource(
    key: string,
    namespace: string,
    name: string,
  ): Promise<ApigCertificateResource | undefined> {
    const cached = this.#certificates.get(key);
    const verified = this.#verifiedVersions.get(key);
    if (cached && verified !== undefined && cached.metadata.resourceVersion === verified) {
      return cached;
    }
    const resource = await this.#get<ApigCertificateResource>(
      objectPath(APIG_CERTIFICATE_RESOURCE, namespace, name),
    );
    const version = resource?.metadata.resourceVersion;
    if (version !== undefined) this.#verifiedVersions.set(key, version);
    return resource;
  }

  async #gather(resource: ApigCertificateResource): Promise<ReconcileInput> {
    const { namespace } = resource.metadata;
    const { spec } = resource;
    const trusted = spec.trustedRootCA;
    return {
      resource,
      secret: await this.#readSecret(namespace, spec.secretRef.name),
      signSecret: spec.signSecretRef
        ? await this.#readSecret(namespace, spec.signSecretRef.name)
        : undefined,
      trustedRootCA: trusted?.secretRef
        ? await this.#readKey('Secret', namespace, trusted.secretRef.name, trusted.secretRef.key)
        : trusted?.configMapRef
          ? await this.#readKey(
              'ConfigMap',
              namespace,
              trusted.configMapRef.name,
              trusted.configMapRef.key,
            )
          : undefined,
      apig: this.#options.target,
      now: this.#now(),
      retryRefusedAfterMs: this.#options.resyncPeriodMs,
    };
  }

  async #publish(
    resource: ApigCertificateResource,
    outcome: ReconcileOutcome,
    logger: Logger,
  ): Promise<void> {
    const { namespace, name } = resource.metadata;
    const key = `${namespace}/${name}`;
    try {
      const version = await writeStatus(
        this.#options.client,
        APIG_CERTIFICATE_RESOURCE,
        resource,
        resource.status,
        outcome.status,
      );
      if (version !== undefined) this.#verifiedVersions.set(key, version);
    } catch (error) {
      this.#verifiedVersions.delete(key);
      // Deleted while we worked: nothing left to report on.
      if (!isKubeApiError(error, 404)) throw error;
    }
    if (outcome.event) {
      const { type, reason, message } = outcome.event;
      const involved = {
        apiVersion: API_VERSION,
        kind: APIG_CERTIFICATE_KIND,
        metadata: resource.metadata,
      };
      await this.#options.events.record(involved, type, reason, message);
    }
    const ready = outcome.status.conditions?.find((c) => c.type === READY);
    const fields = {
      result: outcome.result,
      reason: ready?.reason,
      message: ready?.message,
      certificateId: resource.spec.certificateId,
    };
    if (outcome.result === 'synced') logger.info(fields, 'reconciled');
    else if (ready?.status === 'True') logger.debug(fields, 'reconciled');
    else logger.warn(fields, 'reconciled');
    const notAfter = outcome.status.notAfter ? new Date(outcome.status.notAfter) : undefined;
    this.#options.metrics.setResourceState(namespace, name, {
      certificateId: resource.spec.certificateId,
      ready: ready?.status === 'True',
      notAfter,
    });
  }

  async #get<T>(path: string): Promise<T | undefined> {
    try {
      return await this.#options.client.json<T>({ path });
    } catch (error) {
      if (isKubeApiError(error, 404)) return undefined;
      throw error;
    }
  }

  async #readSecret(namespace: string, name: string): Promise<Lookup<SecretInput>> {
    const secret = await this.#get<{
      type?: string;
      data?: Record<string, string>;
      metadata?: { annotations?: Record<string, string> };
    }>(objectPath(SECRETS, namespace, name));
    if (!secret) return { found: false, what: `Secret ${namespace}/${name} not found` };
    return {
      found: true,
      value: {
        type: secret.type,
        data: secret.data ?? {},
        annotations: secret.metadata?.annotations,
      },
    };
  }

  async #readKey(
    kind: ReferencedKind,
    namespace: string,
    name: string,
    key: string,
  ): Promise<Lookup<string>> {
    const path = objectPath(kind === 'Secret' ? SECRETS : CONFIG_MAPS, namespace, name);
    const object = await this.#get<{ data?: Record<string, string> }>(path);
    if (!object) return { found: false, what: `${kind} ${namespace}/${name} not found` };
    const value = object.data?.[key];
    if (value === undefined) {
      return { found: false, what: `${kind} ${namespace}/${name} has no key "${key}"` };
    }
    return {
      found: true,
      value: kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value,
    };
  }
}

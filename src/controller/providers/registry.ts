// The providers the operator knows: it watches ApigProviders,
// ClusterApigProviders and the Secrets they name, keeps one APIG client per
// provider (its own rate limiter, token cache and lock-out protection), and
// answers "which client and target does this ApigCertificate use". The checks
// and status writes run in its own work queue while this replica leads.
import type { Logger } from 'pino';
import { resolvedBefore } from '../../common/abortable.ts';
import { systemClock, type Clock } from '../../common/clock.ts';
import type { KubeClient } from '../../kube/kube-client.ts';
import type { MetadataStub } from '../../kube/metadata.ts';
import type { WatchEvent } from '../../kube/object-store.ts';
import { ReferenceIndex } from '../../kube/reference-index.ts';
import { SECRETS } from '../../kube/resources.ts';
import type { ListWatchStats } from '../../kube/list-watch.ts';
import { ResourceWatch } from '../../kube/resource-watch.ts';
import { runWorkers, WorkQueue, type HandlerResult } from '../../kube/work-queue.ts';
import {
  APIG_PROVIDER_KIND,
  APIG_PROVIDER_RESOURCE,
  CLUSTER_APIG_PROVIDER_KIND,
  CLUSTER_APIG_PROVIDER_RESOURCE,
  type ApigProviderResource,
  type ProviderKind,
  type ProviderReference,
} from '../../api/providers.ts';
import type { LifecycleApig } from '../lifecycle/run.ts';
import { ProviderPass, type ProviderClientFactory, type ProviderEntry } from './pass.ts';
import {
  credentialSecretName,
  providerIdOf,
  providerKey,
  providerLabel,
  type ProviderId,
  type ProviderTarget,
} from './settings.ts';

/** What an ApigCertificate's providerRef resolves to. */
export type Resolution =
  | { kind: 'ready'; apig: LifecycleApig; target: ProviderTarget; label: string }
  | { kind: 'notFound'; message: string }
  | { kind: 'notReady'; message: string }
  /** Known but not checked yet: the registry reports when it is. */
  | { kind: 'pending' };

export interface ProviderRegistryOptions {
  client: KubeClient;
  /** WATCH_NAMESPACES; empty means all. */
  namespaces: readonly string[];
  /** Where ClusterApigProviders' Secrets and ServiceAccounts are; undefined: none can be used. */
  clusterResourceNamespace: string | undefined;
  /** False when the operator may not list cluster-scoped objects (a namespaced install). */
  watchClusterProviders: boolean;
  createClient: ProviderClientFactory;
  /** One readiness series per provider. */
  setReady: (label: string, ready: boolean | undefined) => void;
  logger: Logger;
  watchInactivityMs: number;
  clock?: Clock;
}

type ProviderListener = (id: ProviderId) => void;

const OWNER_KINDS: readonly ProviderKind[] = [APIG_PROVIDER_KIND, CLUSTER_APIG_PROVIDER_KIND];

export class ProviderRegistry {
  readonly #options: ProviderRegistryOptions;
  readonly #watches = new Map<ProviderKind, ResourceWatch<ApigProviderResource>>();
  /** Present when the cluster resource namespace is outside the watched namespaces. */
  readonly #ownSecrets: ResourceWatch<MetadataStub> | undefined;
  /** Secret → keys of the providers that name it. */
  readonly #secretIndex = new ReferenceIndex<ApigProviderResource, 'Secret'>(() => []);
  readonly #entries = new Map<string, ProviderEntry>();
  readonly #listeners: ProviderListener[] = [];
  readonly #pass: ProviderPass;
  #queue: WorkQueue | undefined;

  constructor(options: ProviderRegistryOptions) {
    this.#options = options;
    const { client, namespaces, logger, watchInactivityMs } = options;
    const common = { client, logger, watchdogMs: watchInactivityMs };
    this.#watches.set(
      APIG_PROVIDER_KIND,
      new ResourceWatch<ApigProviderResource>({
        ...common,
        namespaces,
        resource: APIG_PROVIDER_RESOURCE,
        onEvent: (event) => this.#onProviderEvent(APIG_PROVIDER_KIND, event),
      }),
    );
    if (options.watchClusterProviders) {
      this.#watches.set(
        CLUSTER_APIG_PROVIDER_KIND,
        new ResourceWatch<ApigProviderResource>({
          ...common,
          namespaces: [],
          resource: CLUSTER_APIG_PROVIDER_RESOURCE,
          onEvent: (event) => this.#onProviderEvent(CLUSTER_APIG_PROVIDER_KIND, event),
        }),
      );
    }
    const own = options.clusterResourceNamespace;
    const covered = namespaces.length === 0 || (own !== undefined && namespaces.includes(own));
    this.#ownSecrets =
      options.watchClusterProviders && own !== undefined && !covered
        ? new ResourceWatch<MetadataStub>({
            ...common,
            namespaces: [own],
            resource: SECRETS,
            metadataOnly: true,
            onEvent: (event) => this.onSecretEvent(event),
          })
        : undefined;
    this.#pass = new ProviderPass({
      client,
      clusterResourceNamespace: own,
      createClient: options.createClient,
      logger,
      clock: options.clock ?? systemClock,
    });
  }

  startWatches(): void {
    for (const watch of this.#allWatches()) watch.start();
  }

  async stopWatches(): Promise<void> {
    await Promise.all(this.#allWatches().map((w) => w.stop()));
  }

  hasSynced(): boolean {
    return this.#allWatches().every((w) => w.hasSynced());
  }

  async synced(): Promise<void> {
    await Promise.all(this.#allWatches().map((w) => w.synced()));
  }

  /** `listener` hears of every provider whose client or readiness changed, or that went. */
  onChange(listener: ProviderListener): void {
    this.#listeners.push(listener);
  }

  /** A Secret event from any watch that sees the providers' Secrets (the controller's too). */
  onSecretEvent(event: WatchEvent<MetadataStub>): void {
    for (const key of this.#secretIndex.ownersOfEvent('Secret', event)) this.#queue?.add(key);
  }

  /** What `ref` means for an ApigCertificate in `namespace`: never another namespace's ApigProvider. */
  resolve(ref: ProviderReference, namespace: string): Resolution {
    const kind = ref.kind ?? APIG_PROVIDER_KIND;
    const id: ProviderId =
      kind === APIG_PROVIDER_KIND ? { kind, namespace, name: ref.name } : { kind, name: ref.name };
    const described =
      kind === APIG_PROVIDER_KIND
        ? `ApigProvider ${namespace}/${ref.name}`
        : `ClusterApigProvider ${ref.name}`;
    const watch = this.#watches.get(kind);
    const provider = watch?.get(
      kind === APIG_PROVIDER_KIND ? `${namespace}/${ref.name}` : ref.name,
    );
    if (!provider) {
      const why = watch
        ? 'does not exist'
        : 'cannot be used: this operator does not watch ClusterApigProviders (namespaced install)';
      return { kind: 'notFound', message: `spec.providerRef: ${described} ${why}` };
    }
    const entry = this.#entries.get(providerKey(id));
    if (!entry?.verification || entry.generation !== provider.metadata.generation) {
      return { kind: 'pending' };
    }
    const { readiness } = entry.verification;
    if (!readiness.ready || !entry.built) {
      return {
        kind: 'notReady',
        message: `spec.providerRef: ${described} is not ready: ${readiness.reason}: ${readiness.message}`,
      };
    }
    return {
      kind: 'ready',
      apig: entry.built.apig,
      target: entry.built.target,
      label: providerLabel(id),
    };
  }

  /** Checks providers and writes their status while `signal` is not aborted (leadership). */
  async lead(signal: AbortSignal): Promise<void> {
    if (!(await resolvedBefore(this.synced(), signal))) return;
    const queue = new WorkQueue();
    this.#queue = queue;
    signal.addEventListener('abort', () => void queue.shutDown(), { once: true });
    for (const [kind, watch] of this.#watches) {
      for (const provider of watch.list()) queue.add(providerKey(providerIdOf(kind, provider)));
    }
    await runWorkers(queue, 2, (key, stop) => this.#check(key, stop), {
      onError: (key, error, delayMs) =>
        this.#options.logger.warn(
          { provider: key, err: error, retryInMs: Math.round(delayMs) },
          'provider check failed; retrying with backoff',
        ),
    });
    this.#queue = undefined;
  }

  /** Closes every provider's client (after the controller stopped using them). */
  async close(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(entries.flatMap((entry) => (entry.built ? [entry.built.close()] : [])));
  }

  /** Each watch's restart counts, by the resource it watches (for the watch-health metric). */
  watchSources(): [resource: string, stats: () => ListWatchStats][] {
    const sources: [string, () => ListWatchStats][] = [...this.#watches].map(([kind, watch]) => [
      kind === APIG_PROVIDER_KIND ? 'apigproviders' : 'clusterapigproviders',
      () => watch.stats(),
    ]);
    const own = this.#ownSecrets;
    if (own) sources.push(['cluster-resource-namespace-secrets', () => own.stats()]);
    return sources;
  }

  #allWatches(): (ResourceWatch<ApigProviderResource> | ResourceWatch<MetadataStub>)[] {
    return [...this.#watches.values(), ...(this.#ownSecrets ? [this.#ownSecrets] : [])];
  }

  #onProviderEvent(kind: ProviderKind, event: WatchEvent<ApigProviderResource>): void {
    const id = providerIdOf(kind, event.object);
    const key = providerKey(id);
    if (event.type === 'delete') {
      this.#secretIndex.delete(key);
    } else {
      const secret = credentialSecretName(event.object.spec);
      const namespace =
        kind === APIG_PROVIDER_KIND
          ? event.object.metadata.namespace
          : this.#options.clusterResourceNamespace;
      this.#secretIndex.set(
        key,
        secret && namespace ? [{ kind: 'Secret', namespace, name: secret }] : [],
      );
    }
    // Our own status writes change only status.
    if (
      event.type === 'update' &&
      event.old.metadata.generation === event.object.metadata.generation
    ) {
      return;
    }
    this.#queue?.add(key);
  }

  async #check(key: string, signal: AbortSignal): Promise<HandlerResult> {
    const [kind, ...rest] = key.split('/') as [ProviderKind, ...string[]];
    const storeName = rest.join('/');
    const provider = OWNER_KINDS.includes(kind)
      ? this.#watches.get(kind)?.get(storeName)
      : undefined;
    const previous = this.#entries.get(key);
    if (!provider) {
      if (previous) {
        this.#entries.delete(key);
        this.#options.setReady(previous.label, undefined);
        previous.built?.retire();
        this.#notify(previous.id);
      }
      return {};
    }
    const id = providerIdOf(kind, provider);
    const { entry, changed, recheckAfterMs } = await this.#pass.run(id, provider, previous, signal);
    this.#entries.set(key, entry);
    this.#options.setReady(entry.label, entry.verification?.readiness.ready);
    if (changed) this.#notify(id);
    return { requeueAfterMs: recheckAfterMs };
  }

  #notify(id: ProviderId): void {
    for (const listener of this.#listeners) listener(id);
  }
}

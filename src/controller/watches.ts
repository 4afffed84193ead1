// The controller's three watches: ApigCertificates in full, and the Secrets and
// ConfigMaps they name as metadata only, so memory does not grow with objects
// the operator never reads (workers GET the referenced ones).
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/kube-client.ts';
import type { MetadataStub } from '../kube/metadata.ts';
import type { WatchEvent } from '../kube/object-store.ts';
import { ResourceWatch } from '../kube/resource-watch.ts';
import { CONFIG_MAPS, SECRETS } from '../kube/resources.ts';
import type { Metrics } from '../observability/metrics.ts';
import { APIG_CERTIFICATE_RESOURCE, type ApigCertificateResource } from '../api/v1alpha1.ts';
import type { ReferencedKind } from './references.ts';

export interface ControllerWatchOptions {
  client: KubeClient;
  /** WATCH_NAMESPACES; empty means all namespaces. */
  namespaces: readonly string[];
  logger: Logger;
  /** No-events watchdog of each watch. */
  watchdogMs: number;
  onCertificateEvent(event: WatchEvent<ApigCertificateResource>): void;
  onReferencedEvent(kind: ReferencedKind, event: WatchEvent<MetadataStub>): void;
}

/** What the three watches have in common, whatever they hold. */
type WatchLifecycle = Pick<ResourceWatch<MetadataStub>, 'start' | 'hasSynced' | 'synced' | 'stop'>;

export class ControllerWatches {
  readonly certificates: ResourceWatch<ApigCertificateResource>;
  readonly #secrets: ResourceWatch<MetadataStub>;
  readonly #configMaps: ResourceWatch<MetadataStub>;

  constructor(options: ControllerWatchOptions) {
    const { client, namespaces, logger, watchdogMs } = options;
    const common = { client, namespaces, logger, watchdogMs };
    this.certificates = new ResourceWatch<ApigCertificateResource>({
      ...common,
      resource: APIG_CERTIFICATE_RESOURCE,
      onEvent: (event) => options.onCertificateEvent(event),
    });
    this.#secrets = new ResourceWatch<MetadataStub>({
      ...common,
      resource: SECRETS,
      metadataOnly: true,
      onEvent: (event) => options.onReferencedEvent('Secret', event),
    });
    this.#configMaps = new ResourceWatch<MetadataStub>({
      ...common,
      resource: CONFIG_MAPS,
      metadataOnly: true,
      onEvent: (event) => options.onReferencedEvent('ConfigMap', event),
    });
  }

  /** Each watch's restarts and relists in the watch metrics. */
  registerMetrics(metrics: Metrics): void {
    metrics.addWatchSource('apigcertificates', () => this.certificates.stats());
    metrics.addWatchSource('secrets', () => this.#secrets.stats());
    metrics.addWatchSource('configmaps', () => this.#configMaps.stats());
  }

  start(): void {
    for (const watch of this.#all()) watch.start();
  }

  hasSynced(): boolean {
    return this.#all().every((watch) => watch.hasSynced());
  }

  async synced(): Promise<void> {
    await Promise.all(this.#all().map((watch) => watch.synced()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#all().map((watch) => watch.stop()));
  }

  #all(): WatchLifecycle[] {
    return [this.certificates, this.#secrets, this.#configMaps];
  }
}

// ApigProviders and ClusterApigProviders in integration tests: create, read,
// wait for their Ready condition, and the credentials Secret they name.
import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import {
  APIG_PROVIDER_KIND,
  APIG_PROVIDER_RESOURCE,
  CLUSTER_APIG_PROVIDER_KIND,
  CLUSTER_APIG_PROVIDER_RESOURCE,
  type ApigProviderResource,
  type ApigProviderSpec,
  type ProviderKind,
} from '../../src/api/providers.ts';
import { API_VERSION } from '../../src/api/v1alpha1.ts';
import { eventually } from './eventually.ts';

export interface ProviderName {
  kind: ProviderKind;
  /** ApigProvider only. */
  namespace?: string;
  name: string;
}

export class Providers {
  readonly #objects: CustomObjectsApi;
  readonly #core: CoreV1Api;

  constructor(objects: CustomObjectsApi, core: CoreV1Api) {
    this.#objects = objects;
    this.#core = core;
  }

  async create(id: ProviderName, spec: Record<string, unknown> | ApigProviderSpec): Promise<void> {
    const body = { apiVersion: API_VERSION, kind: id.kind, metadata: { name: id.name }, spec };
    if (id.kind === APIG_PROVIDER_KIND) {
      await this.#objects.createNamespacedCustomObject({
        ...APIG_PROVIDER_RESOURCE,
        namespace: id.namespace ?? '',
        body,
      });
    } else {
      await this.#objects.createClusterCustomObject({ ...CLUSTER_APIG_PROVIDER_RESOURCE, body });
    }
  }

  async get(id: ProviderName): Promise<ApigProviderResource | undefined> {
    try {
      return (await (id.kind === APIG_PROVIDER_KIND
        ? this.#objects.getNamespacedCustomObject({
            ...APIG_PROVIDER_RESOURCE,
            namespace: id.namespace ?? '',
            name: id.name,
          })
        : this.#objects.getClusterCustomObject({
            ...CLUSTER_APIG_PROVIDER_RESOURCE,
            name: id.name,
          }))) as ApigProviderResource;
    } catch {
      return undefined;
    }
  }

  async delete(id: ProviderName): Promise<void> {
    if (id.kind === APIG_PROVIDER_KIND) {
      await this.#objects.deleteNamespacedCustomObject({
        ...APIG_PROVIDER_RESOURCE,
        namespace: id.namespace ?? '',
        name: id.name,
      });
    } else {
      await this.#objects.deleteClusterCustomObject({
        ...CLUSTER_APIG_PROVIDER_RESOURCE,
        name: id.name,
      });
    }
  }

  /** The provider with its Ready condition at `status` (and `reason`) for its current generation. */
  async waitForReady(
    id: ProviderName,
    status: 'True' | 'False' = 'True',
    reason?: string,
  ): Promise<ApigProviderResource> {
    return eventually(`${id.kind} ${id.name} Ready=${status} ${reason ?? ''}`, async () => {
      const provider = await this.get(id);
      const ready = provider?.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === status &&
        (!reason || ready.reason === reason) &&
        provider?.status?.observedGeneration === provider?.metadata.generation
        ? provider
        : undefined;
    });
  }

  /** Creates or replaces an Opaque Secret with `data` (plain text values). */
  async writeSecret(namespace: string, name: string, data: Record<string, string>): Promise<void> {
    const body = { metadata: { name, namespace }, type: 'Opaque', stringData: data };
    try {
      await this.#core.replaceNamespacedSecret({ name, namespace, body });
    } catch {
      await this.#core.createNamespacedSecret({ namespace, body });
    }
  }
}

export const clusterProvider = (name: string): ProviderName => ({
  kind: CLUSTER_APIG_PROVIDER_KIND,
  name,
});
export const namespacedProvider = (namespace: string, name: string): ProviderName => ({
  kind: APIG_PROVIDER_KIND,
  namespace,
  name,
});

// ApigProviders and ClusterApigProviders in integration tests: create, read,
// wait for their Ready condition, the credentials Secret they name, and the
// keyless set-up (the test cluster registered in the simulator's IAM).
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
import { API_VERSION, APIG_CERTIFICATE_RESOURCE } from '../../src/api/v1alpha1.ts';
import type { ApigSimulator, SimulatedIdentityProvider } from './apig-simulator/index.ts';
import { tlsSecretData } from './certs.ts';
import { eventually } from './eventually.ts';
import { kubectl } from './kube.ts';
import type { Scenario } from './scenario.ts';

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

/** The `sub` of a ServiceAccount's tokens, as IAM's mapping rules name it. */
export const serviceAccountSubject = (namespace: string, name: string): string =>
  `system:serviceaccount:${namespace}:${name}`;

/**
 * The test cluster as an administrator registers it in IAM: its ServiceAccount
 * issuer (from the discovery document) and its JWKS, read from the API server.
 */
export function testClusterIdentityProvider(
  id: string,
  audiences: string[],
  subjects: string[],
): SimulatedIdentityProvider {
  const discovery = JSON.parse(kubectl('get', '--raw', '/.well-known/openid-configuration')) as {
    issuer: string;
  };
  const jwks = JSON.parse(
    kubectl('get', '--raw', '/openid/v1/jwks'),
  ) as SimulatedIdentityProvider['jwks'];
  return { id, issuer: discovery.issuer, jwks, audiences, subjects };
}

/** A keyless provider's spec: APIG and IAM both at `region`, a token of `serviceAccount`. */
export function workloadIdentitySpec(
  region: ApigSimulator,
  idpId: string,
  serviceAccount: string,
  audiences: string[],
) {
  return {
    endpoint: region.url,
    projectId: region.projectId,
    auth: {
      workloadIdentity: {
        iamEndpoint: region.url,
        idpId,
        serviceAccountRef: { name: serviceAccount, audiences },
      },
    },
  };
}

/**
 * The Ready condition of ApigCertificate `namespace/name` once it is `status`
 * (and `reason`) for the resource's current generation: for namespaces other
 * than a scenario's own.
 */
export function certificateReady(
  objects: CustomObjectsApi,
  namespace: string,
  name: string,
  status: 'True' | 'False' = 'True',
  reason?: string,
) {
  return eventually(`${namespace}/${name} Ready=${status} ${reason ?? ''}`, async () => {
    const resource = (await objects.getNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace,
      name,
    })) as {
      metadata: { generation: number };
      status?: {
        observedGeneration?: number;
        conditions?: { type: string; status: string; reason: string; message: string }[];
      };
    };
    const ready = resource.status?.conditions?.find((c) => c.type === 'Ready');
    return ready?.status === status &&
      (!reason || ready.reason === reason) &&
      resource.status?.observedGeneration === resource.metadata.generation
      ? ready
      : undefined;
  });
}

/**
 * A TLS Secret `<name>-tls` with a fresh certificate and ApigCertificate `name`
 * in `namespace` sending it to APIG certificate `certificateId` (named
 * `shop_cert`) through `providerRef` (the environment configuration without).
 */
export async function createCertificateIn(
  s: Pick<Scenario, 'core' | 'objects' | 'issue'>,
  namespace: string,
  name: string,
  certificateId: string,
  providerRef?: Record<string, string>,
): Promise<void> {
  await s.core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: `${name}-tls`, namespace },
      type: 'kubernetes.io/tls',
      data: tlsSecretData(await s.issue()),
    },
  });
  await s.objects.createNamespacedCustomObject({
    ...APIG_CERTIFICATE_RESOURCE,
    namespace,
    body: {
      apiVersion: API_VERSION,
      kind: 'ApigCertificate',
      metadata: { name },
      spec: {
        certificateId,
        name: 'shop_cert',
        secretRef: { name: `${name}-tls` },
        ...(providerRef ? { providerRef } : {}),
      },
    },
  });
}

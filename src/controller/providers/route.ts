// Where an ApigCertificate is sent: the provider its spec.providerRef names,
// else the operator's environment configuration. Also the index from a
// provider to the ApigCertificates that name it, so a provider's change
// reconciles exactly those.
import { APIG_PROVIDER_KIND, PROVIDER_KINDS, type ProviderKind } from '../../api/providers.ts';
import type { ApigCertificateResource } from '../../api/v1alpha1.ts';
import { CERTIFICATE_OPERATIONS, type CertificateOperation } from '../../apig/index.ts';
import type { ObjectReference } from '../../kube/reference-index.ts';
import { REASONS } from '../conditions.ts';
import type { ReconcileInput } from '../reconcile.ts';
import type { LifecycleApig } from '../lifecycle/run.ts';
import type { ProviderRegistry } from './registry.ts';

/** For a resource without a route: reconcile stops at `unavailable` before any call. */
const unrouted = (): Promise<never> => Promise.reject(new Error('no APIG route for this resource'));
export const NO_APIG: LifecycleApig = Object.fromEntries(
  CERTIFICATE_OPERATIONS.map((operation) => [operation, unrouted]),
) as Record<CertificateOperation, typeof unrouted>;
/** The target of a resource without a route (its identity matches no routed resource). */
export const NO_TARGET: ReconcileInput['apig'] = { endpoint: '', service: 'apig' };

export type Route =
  | { kind: 'ready'; apig: LifecycleApig; target: ReconcileInput['apig'] }
  /** The provider is being checked: the registry reports when it is done. */
  | { kind: 'pending' }
  | { kind: 'unavailable'; reason: string; message: string };

/** The environment configuration's client and target, when there is one. */
export interface EnvironmentApig {
  apig: LifecycleApig;
  target: ReconcileInput['apig'];
}

export function routeOf(
  resource: ApigCertificateResource,
  environment: EnvironmentApig | undefined,
  providers: Pick<ProviderRegistry, 'resolve'> | undefined,
): Route {
  const ref = resource.spec.providerRef;
  if (!ref) {
    if (environment) return { kind: 'ready', ...environment };
    return {
      kind: 'unavailable',
      reason: REASONS.noDefaultProvider,
      message:
        'spec.providerRef is not set and the operator has no environment APIG configuration (APIG_ENDPOINT): name an ApigProvider or ClusterApigProvider',
    };
  }
  if (!providers) {
    return {
      kind: 'unavailable',
      reason: REASONS.providerNotFound,
      message: 'spec.providerRef: this operator serves no providers',
    };
  }
  const resolved = providers.resolve(ref, resource.metadata.namespace);
  switch (resolved.kind) {
    case 'ready':
      return { kind: 'ready', apig: resolved.apig, target: resolved.target };
    case 'pending':
      return resolved;
    case 'notFound':
      return { kind: 'unavailable', reason: REASONS.providerNotFound, message: resolved.message };
    case 'notReady':
      return { kind: 'unavailable', reason: REASONS.providerNotReady, message: resolved.message };
  }
}

/**
 * The provider an ApigCertificate names, for a ReferenceIndex keyed by
 * provider (a ClusterApigProvider's namespace is ''). Typed loosely: objects
 * come from the API server.
 */
export function providerReferencesOf(resource: {
  metadata: { namespace?: string };
  spec?: { providerRef?: { kind?: unknown; name?: unknown } };
}): ObjectReference<ProviderKind>[] {
  const ref = resource.spec?.providerRef;
  const namespace = resource.metadata.namespace;
  if (typeof ref?.name !== 'string' || ref.name === '' || !namespace) return [];
  const kind = PROVIDER_KINDS.find((k) => k === (ref.kind ?? APIG_PROVIDER_KIND));
  if (!kind) return [];
  return [{ kind, namespace: kind === APIG_PROVIDER_KIND ? namespace : '', name: ref.name }];
}

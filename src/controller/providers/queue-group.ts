// The work queue's fairness by provider: each ApigCertificate's key is in the
// group of the provider it is sent to, so a slow or throttled provider holds
// only its share of the workers (kube/fair-ready.ts).
import type { ApigCertificateResource } from '../../api/v1alpha1.ts';
import type { QueueFairness } from '../../kube/fair-ready.ts';
import { providerReferencesOf } from './route.ts';
import { providerLabel } from './settings.ts';

/** The group of the environment configuration, and of a key whose resource is gone. */
export const ENVIRONMENT_GROUP = '';

/** The provider label the metrics use (`<namespace>/<name>`, `cluster/<name>`), else ''. */
export function providerGroupOf(resource: ApigCertificateResource | undefined): string {
  const [provider] = resource ? providerReferencesOf(resource) : [];
  return provider ? providerLabel(provider) : ENVIRONMENT_GROUP;
}

/** Groups keys by the provider of the cached resource, for `workers` workers. */
export function providerFairness(
  cached: (key: string) => ApigCertificateResource | undefined,
  workers: number,
): QueueFairness {
  return { groupOf: (key) => providerGroupOf(cached(key)), workers };
}

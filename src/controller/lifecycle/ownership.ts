// One owner per APIG certificate. Two resources that target the same
// certificate would each believe themselves synced while APIG holds only the
// last write, and drift correction would make them fight. As cert-manager
// does for two Certificates sharing a secretName, the older resource keeps
// it; the other sends nothing until the conflict is gone. No I/O.
import { storeKey } from '../../kube/object-store.ts';
import type { ApigCertificateResource } from '../../api/v1alpha1.ts';

/** Where APIG calls go: the operator's (later a provider's) endpoint, service and project. */
export interface TargetScope {
  endpoint: string;
  service: string;
  defaultProjectId?: string | undefined;
}

/**
 * The identities of the APIG certificate a resource targets: by ID (the
 * spec's, or the one status recorded) and, without a spec ID, by name in
 * its scope. Two resources conflict when they share any identity.
 */
export function targetIdentities(resource: ApigCertificateResource, scope: TargetScope): string[] {
  const { spec, status } = resource;
  const project = spec.projectId ?? scope.defaultProjectId ?? '';
  const base = JSON.stringify([scope.endpoint, scope.service, project]);
  const identities: string[] = [];
  const id = spec.certificateId ?? status?.certificateId;
  if (id) identities.push(`${base} id ${id}`);
  if (!spec.certificateId) {
    const type = spec.type ?? 'global';
    const instance = type === 'instance' ? (spec.instanceId ?? '') : '';
    identities.push(`${base} name ${JSON.stringify([type, instance, spec.name])}`);
  }
  return identities;
}

/** Older creationTimestamp first; then namespace/name, so the order is total. */
function olderFirst(a: ApigCertificateResource, b: ApigCertificateResource): number {
  const at = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const bt = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (at !== bt) return at - bt;
  const ak = `${a.metadata.namespace}/${a.metadata.name}`;
  const bk = `${b.metadata.namespace}/${b.metadata.name}`;
  return ak < bk ? -1 : ak > bk ? 1 : 0;
}

/**
 * Who owns which APIG certificate, over every resource one controller serves,
 * kept in step with its watch: `set` on each add or update and when its scope
 * changes (its provider's endpoint or project), `delete` on each delete. An
 * event costs O(identities); rebuilding the index from the cache per status
 * write cost O(N) each, O(N²) per first sync of N resources.
 */
export class OwnershipIndex {
  readonly #scopeOf: (resource: ApigCertificateResource) => TargetScope;
  /** identity -> resources targeting it, by namespace/name */
  readonly #byIdentity = new Map<string, Map<string, ApigCertificateResource>>();
  /** namespace/name -> its identities (to undo on change or delete) */
  readonly #identities = new Map<string, string[]>();

  constructor(scopeOf: (resource: ApigCertificateResource) => TargetScope) {
    this.#scopeOf = scopeOf;
  }

  /** Adds `resource`, or replaces what the index held of it. */
  set(resource: ApigCertificateResource): void {
    const key = storeKey(resource.metadata);
    this.delete(key);
    const identities = targetIdentities(resource, this.#scopeOf(resource));
    this.#identities.set(key, identities);
    for (const identity of identities) {
      let holders = this.#byIdentity.get(identity);
      if (!holders) {
        holders = new Map();
        this.#byIdentity.set(identity, holders);
      }
      holders.set(key, resource);
    }
  }

  /** Forgets the resource `namespace/name`. */
  delete(key: string): void {
    for (const identity of this.#identities.get(key) ?? []) {
      const holders = this.#byIdentity.get(identity);
      holders?.delete(key);
      if (holders?.size === 0) this.#byIdentity.delete(identity);
    }
    this.#identities.delete(key);
  }

  /** The resource that owns what `resource` targets, when that is another one. */
  ownerOf(resource: ApigCertificateResource): ApigCertificateResource | undefined {
    const [oldest] = [resource, ...this.rivalsOf(resource)].sort(olderFirst);
    return oldest && storeKey(oldest.metadata) !== storeKey(resource.metadata) ? oldest : undefined;
  }

  /** The other resources sharing a target with `resource` (to enqueue when it goes). */
  rivalsOf(resource: ApigCertificateResource): ApigCertificateResource[] {
    const key = storeKey(resource.metadata);
    const others = new Map<string, ApigCertificateResource>();
    for (const identity of targetIdentities(resource, this.#scopeOf(resource))) {
      for (const [otherKey, other] of this.#byIdentity.get(identity) ?? []) {
        if (otherKey !== key) others.set(otherKey, other);
      }
    }
    return [...others.values()];
  }
}

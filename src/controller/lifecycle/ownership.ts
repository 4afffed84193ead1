// One owner per APIG certificate. Two resources that target the same
// certificate would each believe themselves synced while APIG holds only the
// last write, and drift correction would make them fight. As cert-manager
// does for two Certificates sharing a secretName, the older resource keeps
// it; the other sends nothing until the conflict is gone. Pure.
import type { WatchEvent } from '../../kube/object-store.ts';
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

export interface OwnershipIndex {
  /** The resource that owns what `resource` targets, when that is another one. */
  ownerOf(resource: ApigCertificateResource): ApigCertificateResource | undefined;
  /** The other resources sharing a target with `resource` (to enqueue when it goes). */
  rivalsOf(resource: ApigCertificateResource): ApigCertificateResource[];
}

/** Builds the index over every resource one controller serves (its cache). */
export function ownershipIndex(
  resources: readonly ApigCertificateResource[],
  scopeOf: (resource: ApigCertificateResource) => TargetScope,
): OwnershipIndex {
  const byIdentity = new Map<string, ApigCertificateResource[]>();
  for (const resource of resources) {
    for (const identity of targetIdentities(resource, scopeOf(resource))) {
      const list = byIdentity.get(identity) ?? [];
      list.push(resource);
      byIdentity.set(identity, list);
    }
  }
  const sharing = (resource: ApigCertificateResource) => {
    const others = new Map<string, ApigCertificateResource>();
    for (const identity of targetIdentities(resource, scopeOf(resource))) {
      for (const other of byIdentity.get(identity) ?? []) {
        if (!sameKey(other, resource))
          others.set(`${other.metadata.namespace}/${other.metadata.name}`, other);
      }
    }
    return [...others.values()];
  };
  return {
    ownerOf(resource) {
      const [oldest] = [resource, ...sharing(resource)].sort(olderFirst);
      return oldest && !sameKey(oldest, resource) ? oldest : undefined;
    },
    rivalsOf: sharing,
  };
}

function sameKey(a: ApigCertificateResource, b: ApigCertificateResource): boolean {
  return a.metadata.namespace === b.metadata.namespace && a.metadata.name === b.metadata.name;
}

/**
 * Whether an ApigCertificate event can change who owns which APIG certificate:
 * a new resource, a spec change or a newly recorded certificate ID. Our other
 * status writes cannot, and rebuilding the index for each would cost O(N) per
 * write, O(N²) per mass rotation.
 */
export function changesOwnership(event: WatchEvent<ApigCertificateResource>): boolean {
  if (event.type !== 'update') return true;
  return (
    event.old.metadata.generation !== event.object.metadata.generation ||
    event.old.status?.certificateId !== event.object.status?.certificateId
  );
}

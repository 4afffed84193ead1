import { storeKey } from './object-store.ts';
import type { WatchEvent } from './object-store.ts';

export type ReferencedKind = 'Secret' | 'ConfigMap';

/** An object an ApigCertificate reads, always in its own namespace. */
export interface ObjectReference {
  kind: ReferencedKind;
  namespace: string;
  name: string;
}

interface NameRef {
  name?: unknown;
}

/**
 * The parts of an ApigCertificate that name other objects. Typed loosely on
 * purpose: objects come from the API server and a reference may be absent or
 * malformed, which must not break indexing.
 */
export interface ApigCertificateReferences {
  metadata: { namespace?: string; name?: string };
  spec?: {
    secretRef?: NameRef;
    signSecretRef?: NameRef;
    trustedRootCA?: { secretRef?: NameRef; configMapRef?: NameRef };
  };
}

/** Every Secret and ConfigMap `resource` reads: secretRef, signSecretRef, trustedRootCA. */
export function referencesOf(resource: ApigCertificateReferences): ObjectReference[] {
  const namespace = resource.metadata.namespace;
  const spec = resource.spec;
  if (!namespace || !spec) return [];
  const refs: ObjectReference[] = [];
  const add = (kind: ReferencedKind, ref: NameRef | undefined): void => {
    if (typeof ref?.name === 'string' && ref.name !== '') {
      refs.push({ kind, namespace, name: ref.name });
    }
  };
  add('Secret', spec.secretRef);
  add('Secret', spec.signSecretRef);
  add('Secret', spec.trustedRootCA?.secretRef);
  add('ConfigMap', spec.trustedRootCA?.configMapRef);
  return refs;
}

function refId(ref: ObjectReference): string {
  // Secrets and ConfigMaps may share a name; the kind keeps them apart.
  return `${ref.kind}:${ref.namespace}/${ref.name}`;
}

/**
 * Which ApigCertificates reference a given Secret or ConfigMap, so a change to
 * that object enqueues exactly those resources. Kept in step with the
 * ApigCertificate watch through `applyOwnerEvent` (or `set`/`delete`).
 */
export class ReferenceIndex {
  /** referenced object -> keys of the resources that read it */
  readonly #owners = new Map<string, Set<string>>();
  /** resource key -> referenced objects (to undo on change or delete) */
  readonly #refs = new Map<string, string[]>();

  /** Replaces what the resource `ownerKey` references. */
  set(ownerKey: string, references: Iterable<ObjectReference>): void {
    this.delete(ownerKey);
    const ids = [...new Set([...references].map(refId))];
    if (ids.length === 0) return;
    this.#refs.set(ownerKey, ids);
    for (const id of ids) {
      let owners = this.#owners.get(id);
      if (!owners) {
        owners = new Set();
        this.#owners.set(id, owners);
      }
      owners.add(ownerKey);
    }
  }

  delete(ownerKey: string): void {
    for (const id of this.#refs.get(ownerKey) ?? []) {
      const owners = this.#owners.get(id);
      owners?.delete(ownerKey);
      if (owners?.size === 0) this.#owners.delete(id);
    }
    this.#refs.delete(ownerKey);
  }

  /** Keys of the resources that reference `ref`, sorted. */
  owners(ref: ObjectReference): string[] {
    return [...(this.#owners.get(refId(ref)) ?? [])].sort();
  }

  /** Keeps the index in step with an event from the ApigCertificate watch. */
  applyOwnerEvent(event: WatchEvent<ApigCertificateReferences>): void {
    const key = storeKey(event.object.metadata);
    if (event.type === 'delete') this.delete(key);
    else this.set(key, referencesOf(event.object));
  }

  /**
   * Keys to enqueue for an event on a referenced object. Namespace and name
   * are all that matter: the watch may keep nothing else of a Secret.
   */
  ownersOfEvent(
    kind: ReferencedKind,
    event: WatchEvent<{ metadata: { namespace?: string; name?: string } }>,
  ): string[] {
    const { namespace, name } = event.object.metadata;
    if (!namespace || !name) return [];
    return this.owners({ kind, namespace, name });
  }

  /** Number of distinct referenced objects. */
  get size(): number {
    return this.#owners.size;
  }
}

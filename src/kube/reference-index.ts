import { storeKey } from './object-store.ts';
import type { KubeObject, WatchEvent } from './object-store.ts';

/** An object another object reads, e.g. the Secret a resource names. */
export interface ObjectReference<Kind extends string = string> {
  kind: Kind;
  namespace: string;
  name: string;
}

/** What an owner references; must tolerate absent or malformed fields. */
export type ReferenceExtractor<Owner, Kind extends string = string> = (
  owner: Owner,
) => readonly ObjectReference<Kind>[];

function refId(ref: ObjectReference): string {
  // Objects of different kinds may share a name; the kind keeps them apart.
  return `${ref.kind}:${ref.namespace}/${ref.name}`;
}

/**
 * Which owners reference a given object, so a change to that object enqueues
 * exactly those owners. What an owner references is the extractor's business;
 * the index is kept in step with the owners' watch through `applyOwnerEvent`
 * (or `set`/`delete`).
 */
export class ReferenceIndex<Owner extends KubeObject, Kind extends string = string> {
  readonly #referencesOf: ReferenceExtractor<Owner, Kind>;
  /** referenced object -> keys of the owners that read it */
  readonly #owners = new Map<string, Set<string>>();
  /** owner key -> referenced objects (to undo on change or delete) */
  readonly #refs = new Map<string, string[]>();

  constructor(referencesOf: ReferenceExtractor<Owner, Kind>) {
    this.#referencesOf = referencesOf;
  }

  /** Replaces what the owner `ownerKey` references. */
  set(ownerKey: string, references: Iterable<ObjectReference<Kind>>): void {
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

  /** Keys of the owners that reference `ref`, sorted. */
  owners(ref: ObjectReference<Kind>): string[] {
    return [...(this.#owners.get(refId(ref)) ?? [])].sort();
  }

  /** Keeps the index in step with an event from the owners' watch. */
  applyOwnerEvent(event: WatchEvent<Owner>): void {
    const key = storeKey(event.object.metadata);
    if (event.type === 'delete') this.delete(key);
    else this.set(key, this.#referencesOf(event.object));
  }

  /**
   * Keys to enqueue for an event on a referenced object. Namespace and name
   * are all that matter: the watch may keep nothing else of it.
   */
  ownersOfEvent(kind: Kind, event: WatchEvent<KubeObject>): string[] {
    const { namespace, name } = event.object.metadata;
    if (!namespace || !name) return [];
    return this.owners({ kind, namespace, name });
  }

  /** Number of distinct referenced objects. */
  get size(): number {
    return this.#owners.size;
  }
}

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

/** The least a watched object has; the watch keeps whatever its projection returns. */
export interface KubeObject {
  metadata: ObjectMeta;
}

/**
 * What a watch reports. Handlers receive these synchronously and must only
 * enqueue work (no I/O, no awaiting): the watch does not wait for them.
 */
export type WatchEvent<T> =
  | { type: 'add'; object: T }
  | { type: 'update'; object: T; old: T }
  | { type: 'delete'; object: T };

export function storeKey(metadata: ObjectMeta): string {
  return metadata.namespace
    ? `${metadata.namespace}/${metadata.name ?? ''}`
    : (metadata.name ?? '');
}

/**
 * The last known state of every object a watch sees, keyed by
 * `namespace/name`. It turns raw watch and list results into add/update/delete
 * events: an object whose resourceVersion did not change produces no event
 * (spurious updates after reconnects), and a relist reports the objects that
 * vanished while the watch was down as deletes.
 */
export class ObjectStore<T extends KubeObject> {
  readonly #objects = new Map<string, T>();

  get(key: string): T | undefined {
    return this.#objects.get(key);
  }

  list(): T[] {
    return [...this.#objects.values()];
  }

  get size(): number {
    return this.#objects.size;
  }

  /** Records an added or modified object; undefined when nothing changed. */
  upsert(object: T): WatchEvent<T> | undefined {
    const key = storeKey(object.metadata);
    const old = this.#objects.get(key);
    this.#objects.set(key, object);
    if (!old) return { type: 'add', object };
    if (sameVersion(old, object)) return undefined;
    return { type: 'update', object, old };
  }

  /** Forgets a deleted object; undefined when it was not known. */
  remove(object: T): WatchEvent<T> | undefined {
    const key = storeKey(object.metadata);
    if (!this.#objects.delete(key)) return undefined;
    return { type: 'delete', object };
  }

  /**
   * Replaces the whole content with a fresh list and returns the events that
   * take a consumer from the old content to the new one.
   */
  replace(objects: Iterable<T>): WatchEvent<T>[] {
    const events: WatchEvent<T>[] = [];
    const previous = new Map(this.#objects);
    this.#objects.clear();
    for (const object of objects) {
      const key = storeKey(object.metadata);
      const old = previous.get(key);
      previous.delete(key);
      this.#objects.set(key, object);
      if (!old) events.push({ type: 'add', object });
      else if (!sameVersion(old, object)) events.push({ type: 'update', object, old });
    }
    for (const gone of previous.values()) events.push({ type: 'delete', object: gone });
    return events;
  }
}

function sameVersion(a: KubeObject, b: KubeObject): boolean {
  const va = a.metadata.resourceVersion;
  // A recreated object has a new uid even if a resourceVersion were reused.
  return va !== undefined && va === b.metadata.resourceVersion && a.metadata.uid === b.metadata.uid;
}

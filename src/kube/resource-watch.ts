import { ListWatch, type ListWatchOptions, type ListWatchStats } from './list-watch.ts';
import type { KubeObject } from './object-store.ts';

export interface ResourceWatchOptions<T extends KubeObject> extends Omit<
  ListWatchOptions<T>,
  'namespace'
> {
  /** `WATCH_NAMESPACES`: one watch per namespace; empty means one cluster-wide watch. */
  namespaces: readonly string[];
}

/**
 * One resource watched in a set of namespaces (or cluster-wide) as one store.
 * Events from every namespace go to the same handler.
 */
export class ResourceWatch<T extends KubeObject> {
  readonly #watches = new Map<string | undefined, ListWatch<T>>();

  constructor(options: ResourceWatchOptions<T>) {
    const { namespaces, ...common } = options;
    const scopes = namespaces.length === 0 ? [undefined] : [...new Set(namespaces)];
    for (const namespace of scopes) {
      this.#watches.set(namespace, new ListWatch<T>({ ...common, namespace }));
    }
  }

  start(): void {
    for (const watch of this.#watches.values()) watch.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#watches.values()].map((w) => w.stop()));
  }

  /** True when every namespace has completed its first LIST (readiness). */
  hasSynced(): boolean {
    return [...this.#watches.values()].every((w) => w.hasSynced());
  }

  async synced(): Promise<void> {
    await Promise.all([...this.#watches.values()].map((w) => w.synced()));
  }

  /** The stored object for `namespace/name`. */
  get(key: string): T | undefined {
    const namespace = key.includes('/') ? key.slice(0, key.indexOf('/')) : undefined;
    const watch = this.#watches.get(undefined) ?? this.#watches.get(namespace);
    return watch?.get(key);
  }

  list(): T[] {
    return [...this.#watches.values()].flatMap((w) => w.list());
  }

  get size(): number {
    let total = 0;
    for (const watch of this.#watches.values()) total += watch.size;
    return total;
  }

  /** Counters summed over every namespace. */
  stats(): ListWatchStats {
    const total: ListWatchStats = { lists: 0, watches: 0, expired: 0, stalls: 0, errors: 0 };
    for (const watch of this.#watches.values()) {
      const s = watch.stats();
      total.lists += s.lists;
      total.watches += s.watches;
      total.expired += s.expired;
      total.stalls += s.stalls;
      total.errors += s.errors;
    }
    return total;
  }
}

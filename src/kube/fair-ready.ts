// The ready keys of the work queue, grouped (by APIG provider in the
// controller) and handed out fairly, as API Priority and Fairness does for
// the API server's flows: groups take turns, and a group holds at most its
// fair share of the workers, so one slow or throttled group cannot take every
// worker while other groups have keys waiting.

/** How the queue groups keys and how many workers share them. */
export interface QueueFairness {
  /** The key's group (the controller: its provider label); read when the key becomes ready. */
  groupOf: (key: string) => string;
  /** The workers taking keys from this queue (RECONCILE_CONCURRENCY); their share is per group. */
  workers: number;
}

interface GroupState {
  /** Insertion order is arrival order; a Set also de-duplicates. */
  readonly ready: Set<string>;
  /** Keys of this group handed to a worker and not yet done. */
  processing: number;
}

/**
 * Without fairness every key is in one group with no cap: keys come out in
 * the order they became ready. With it, `take` serves groups round-robin
 * among those with ready keys, skipping a group that already holds
 * `max(1, ceil(workers / groups with work))` keys in processing, where a group
 * has work while it has keys ready or in processing.
 */
export class FairReadyKeys {
  readonly #groupOf: (key: string) => string;
  readonly #workers: number;
  /** Groups with work; Map order is the round-robin order (a served group moves to the back). */
  readonly #groups = new Map<string, GroupState>();
  /** Ready key → its group. */
  readonly #groupOfReady = new Map<string, string>();

  constructor(fairness: QueueFairness | undefined) {
    if (fairness && (!Number.isInteger(fairness.workers) || fairness.workers < 1)) {
      throw new RangeError(`fairness.workers must be a positive integer, got ${fairness.workers}`);
    }
    this.#groupOf = fairness?.groupOf ?? (() => '');
    this.#workers = fairness?.workers ?? Number.POSITIVE_INFINITY;
  }

  /** Keys ready and waiting for a worker. */
  get size(): number {
    return this.#groupOfReady.size;
  }

  has(key: string): boolean {
    return this.#groupOfReady.has(key);
  }

  /** Queues `key` at the back of its group, as of now (its group may have changed since last time). */
  add(key: string): void {
    if (this.#groupOfReady.has(key)) return;
    const group = this.#groupOf(key);
    this.#groupOfReady.set(key, group);
    this.#state(group).ready.add(key);
  }

  /**
   * The next key for a worker and the group it is charged to (pass that group
   * to `release` when the key is done), or undefined if no group with ready
   * keys is below its share.
   */
  take(): { key: string; group: string } | undefined {
    const share = Math.max(1, Math.ceil(this.#workers / this.#groups.size));
    for (const [group, state] of this.#groups) {
      if (state.processing >= share) continue;
      const next = state.ready.values().next();
      if (next.done) continue;
      state.ready.delete(next.value);
      this.#groupOfReady.delete(next.value);
      state.processing += 1;
      // Round-robin: the group served last waits behind every other group.
      this.#groups.delete(group);
      this.#groups.set(group, state);
      return { key: next.value, group };
    }
    return undefined;
  }

  /** A key `take` charged to `group` is done. */
  release(group: string): void {
    const state = this.#groups.get(group);
    if (!state) return;
    state.processing -= 1;
    if (state.processing <= 0 && state.ready.size === 0) this.#groups.delete(group);
  }

  /** Drops every ready key; keys in processing stay charged until released. */
  clear(): void {
    this.#groupOfReady.clear();
    for (const [group, state] of this.#groups) {
      state.ready.clear();
      if (state.processing <= 0) this.#groups.delete(group);
    }
  }

  #state(group: string): GroupState {
    let state = this.#groups.get(group);
    if (!state) {
      state = { ready: new Set(), processing: 0 };
      this.#groups.set(group, state);
    }
    return state;
  }
}

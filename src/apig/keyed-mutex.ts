import { untilAborted } from '../common/abortable.ts';

/**
 * Runs functions one at a time per key, in call order; different keys run
 * concurrently. Keys leave the map when their last function settles.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` once every earlier function of `key` has settled. When `signal`
   * aborts during that wait, `fn` never runs and the call rejects with
   * `signal.reason`; later callers still wait for the earlier functions.
   */
  async run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => tail);
    this.#tails.set(key, chained);
    try {
      await untilAborted(previous, signal);
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === chained) this.#tails.delete(key);
    }
  }

  /** Keys with a function running or waiting (for tests and metrics). */
  get activeKeys(): number {
    return this.#tails.size;
  }
}

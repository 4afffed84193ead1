import { systemClock, type Clock, type TimerHandle } from '../common/clock.ts';
import { TokenBucket, type TokenBucketOptions } from '../common/token-bucket.ts';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { FairReadyKeys, type QueueFairness } from './fair-ready.ts';

export interface WorkQueueOptions {
  /** Per-key backoff after failures. Default 1 s doubling to 5 min (cert-manager style). */
  backoff?: BackoffPolicy;
  /** Overall limit on re-adds after failures, across all keys. Default 10/s, burst 100. */
  rateLimit?: TokenBucketOptions;
  clock?: Clock;
  /** Source of jitter; injectable for deterministic tests. */
  random?: () => number;
  /** Groups served round-robin, each with a fair share of the workers (fair-ready.ts). */
  fairness?: QueueFairness;
}

export const DEFAULT_QUEUE_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 300_000, jitter: 0.2 };
export const DEFAULT_QUEUE_RATE_LIMIT: TokenBucketOptions = { perSecond: 10, burst: 100 };

/**
 * A work queue of `namespace/name` keys with client-go's guarantees:
 * - a key waiting in the queue is held once however often it is added;
 * - a key is handed to one worker at a time; adding it while it is processed
 *   marks it dirty and it is queued again when that worker calls `done`;
 * - failures re-add the key after a per-key exponential backoff, also bounded
 *   by a token bucket shared by every key (`addRateLimited`).
 *
 * Keys come out in the order they became ready; with `fairness`, groups take
 * turns and each holds at most its share of the workers (fair-ready.ts).
 */
export class WorkQueue {
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #backoff: BackoffPolicy;
  readonly #bucket: TokenBucket;

  readonly #ready: FairReadyKeys;
  /** Key handed to a worker → the group it is charged to. */
  readonly #processing = new Map<string, string>();
  /** Added while processing: re-queued on `done`. */
  readonly #dirty = new Set<string>();
  /** Delayed adds: one timer per key, the earliest deadline wins. */
  readonly #delayed = new Map<string, { readyAt: number; timer: TimerHandle }>();
  readonly #failures = new Map<string, number>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #shutdown = new AbortController();
  #shuttingDown = false;
  #drained: (() => void) | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#backoff = options.backoff ?? DEFAULT_QUEUE_BACKOFF;
    this.#bucket = new TokenBucket(options.rateLimit ?? DEFAULT_QUEUE_RATE_LIMIT, this.#clock);
    this.#ready = new FairReadyKeys(options.fairness);
  }

  /** Keys ready and waiting for a worker (the queue-depth metric). */
  get length(): number {
    return this.#ready.size;
  }

  /** Aborts when `shutDown()` is called, so in-flight work can stop early. */
  get shutDownSignal(): AbortSignal {
    return this.#shutdown.signal;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#ready.has(key)) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#ready.add(key);
    this.#handOut();
  }

  /**
   * Adds `key` after `ms` (APIG's Retry-After, a requeue-after, a resync).
   * If the key is already scheduled, the earlier of the two deadlines wins.
   */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.#clock.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending) {
      if (pending.readyAt <= readyAt) return;
      this.#clock.clearTimeout(pending.timer);
    }
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { readyAt, timer });
  }

  /**
   * Records a failure of `key` and re-adds it after
   * `max(per-key backoff, global token-bucket wait)`. Returns the delay chosen.
   */
  addRateLimited(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const delay = Math.max(
      backoffDelay(this.#backoff, failures, this.#random),
      this.#bucket.reserve(),
    );
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets the backoff of `key` (after a success). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /**
   * Resolves with the next key for this worker, or `undefined` once the queue
   * is shutting down. The caller must call `done(key)` when finished.
   */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const next = this.#take();
    if (next !== undefined) return Promise.resolve(next);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  done(key: string): void {
    const group = this.#processing.get(key);
    if (group === undefined) return;
    this.#processing.delete(key);
    this.#ready.release(group);
    if (this.#dirty.delete(key)) {
      if (this.#shuttingDown) return;
      // Put back through add() so an idle worker picks it up at once.
      this.add(key);
    }
    // The group's share was freed: a waiting worker may take one of its keys.
    this.#handOut();
    if (this.#shuttingDown && this.#processing.size === 0) this.#drained?.();
  }

  /** Gives waiting workers the keys they may take now. */
  #handOut(): void {
    while (this.#waiters.length > 0) {
      const key = this.#take();
      if (key === undefined) return;
      this.#waiters.shift()?.(key);
    }
  }

  #take(): string | undefined {
    const next = this.#ready.take();
    if (next) this.#processing.set(next.key, next.group);
    return next?.key;
  }

  /**
   * Stops handing out keys, drops queued and delayed ones, and resolves once
   * every key already handed to a worker is `done` (in-flight work finishes).
   */
  shutDown(): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true;
      for (const { timer } of this.#delayed.values()) this.#clock.clearTimeout(timer);
      this.#delayed.clear();
      this.#ready.clear();
      this.#dirty.clear();
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
      this.#shutdown.abort();
    }
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#drained;
      this.#drained = () => {
        previous?.();
        resolve();
      };
    });
  }
}

/** What a handler may ask for after a successful run. */
export interface HandlerResult {
  /** Run the key again after this long (e.g. a resync), without counting a failure. */
  requeueAfterMs?: number;
}

export interface RunWorkersOptions {
  /** Told about every failure with the delay chosen; must not throw. */
  onError?: (key: string, error: unknown, delayMs: number) => void;
}

/**
 * Handles one key. `signal` aborts when the queue shuts down (lost leadership,
 * SIGTERM): pass it into Kubernetes reads and APIG calls so a request not yet
 * sent is not sent.
 */
export type KeyHandler = (key: string, signal: AbortSignal) => Promise<HandlerResult | void>;

/**
 * Runs `concurrency` workers that take keys from `queue` until it shuts down.
 * A handler that resolves resets the key's backoff (and may requeue it after a
 * delay); one that throws re-adds the key with backoff. Resolves when every
 * worker has stopped, i.e. after `queue.shutDown()` and in-flight handlers end.
 */
export async function runWorkers(
  queue: WorkQueue,
  concurrency: number,
  handler: KeyHandler,
  options: RunWorkersOptions = {},
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const worker = async (): Promise<void> => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        const result = await handler(key, queue.shutDownSignal);
        queue.forget(key);
        if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (error) {
        const delay = queue.addRateLimited(key);
        options.onError?.(key, error, delay);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

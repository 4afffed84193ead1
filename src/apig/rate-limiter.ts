import type { Clock } from './clock.ts';

export interface RateLimit {
  /** Sustained rate; must be > 0. */
  requestsPerSecond: number;
  /** Requests that may go at once after a quiet period; >= 1. */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { requestsPerSecond: 5, burst: 5 };

/**
 * A token bucket kept as a "theoretical arrival time" (GCRA): each acquire
 * reserves the next slot synchronously, so callers are served in call order
 * and no queue is needed.
 */
export class RateLimiter {
  readonly #intervalMs: number;
  readonly #burstWindowMs: number;
  readonly #clock: Clock;
  /** The theoretical arrival time of the next request, in ms since the epoch. */
  #tatMs = Number.NEGATIVE_INFINITY;

  constructor(limit: RateLimit, clock: Clock) {
    if (!(limit.requestsPerSecond > 0) || !Number.isFinite(limit.requestsPerSecond)) {
      throw new RangeError(
        `requestsPerSecond must be a positive number, got ${limit.requestsPerSecond}`,
      );
    }
    if (!Number.isInteger(limit.burst) || limit.burst < 1) {
      throw new RangeError(`burst must be an integer >= 1, got ${limit.burst}`);
    }
    this.#intervalMs = 1000 / limit.requestsPerSecond;
    this.#burstWindowMs = (limit.burst - 1) * this.#intervalMs;
    this.#clock = clock;
  }

  /** Resolves when the caller may send one request, or early (slot spent) when `signal` aborts. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.#clock.now().getTime();
    const tat = Math.max(this.#tatMs, now);
    this.#tatMs = tat + this.#intervalMs;
    // The slot is reserved above, before waiting, so order is call order.
    const waitMs = tat - this.#burstWindowMs - now;
    if (waitMs > 0) await this.#clock.sleep(waitMs, signal);
  }
}

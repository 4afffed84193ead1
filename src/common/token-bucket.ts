import type { Clock } from './clock.ts';

export interface TokenBucketOptions {
  /** Sustained rate; must be > 0. */
  perSecond: number;
  /** Tokens available at once after a quiet period; an integer >= 1. */
  burst: number;
}

/**
 * A token bucket that never refuses, kept as a "theoretical arrival time"
 * (GCRA): `reserve()` takes the next slot synchronously and returns how long
 * the caller must wait for it (0 while the burst lasts). Slots are handed out
 * in call order, so waiters are served fairly without a queue, like Go's
 * `rate.Limiter.Reserve`.
 */
export class TokenBucket {
  readonly #intervalMs: number;
  readonly #burstWindowMs: number;
  readonly #clock: Clock;
  /** When the next slot is due, in ms since the epoch. */
  #tatMs = Number.NEGATIVE_INFINITY;

  constructor(options: TokenBucketOptions, clock: Clock) {
    if (!(options.perSecond > 0) || !Number.isFinite(options.perSecond)) {
      throw new RangeError(`perSecond must be a positive number, got ${options.perSecond}`);
    }
    if (!Number.isInteger(options.burst) || options.burst < 1) {
      throw new RangeError(`burst must be an integer >= 1, got ${options.burst}`);
    }
    this.#intervalMs = 1000 / options.perSecond;
    this.#burstWindowMs = (options.burst - 1) * this.#intervalMs;
    this.#clock = clock;
  }

  /** Takes a slot; returns the milliseconds until it may be used. */
  reserve(): number {
    const now = this.#clock.now();
    const tat = Math.max(this.#tatMs, now);
    this.#tatMs = tat + this.#intervalMs;
    return Math.max(0, Math.ceil(tat - this.#burstWindowMs - now));
  }

  /** Takes a slot and waits for it; resolves early (slot spent) when `signal` aborts. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs > 0) await this.#clock.sleep(waitMs, signal);
  }
}

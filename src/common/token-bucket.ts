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
  #intervalMs: number;
  #burstWindowMs: number;
  readonly #burst: number;
  readonly #clock: Clock;
  /** When the next slot is due, in ms since the epoch. */
  #tatMs = Number.NEGATIVE_INFINITY;

  constructor(options: TokenBucketOptions, clock: Clock) {
    if (!Number.isInteger(options.burst) || options.burst < 1) {
      throw new RangeError(`burst must be an integer >= 1, got ${options.burst}`);
    }
    this.#burst = options.burst;
    this.#clock = clock;
    this.#intervalMs = 0;
    this.#burstWindowMs = 0;
    this.setRate(options.perSecond);
  }

  /** Changes the sustained rate for slots taken from now on; the burst stays. */
  setRate(perSecond: number): void {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) {
      throw new RangeError(`perSecond must be a positive number, got ${perSecond}`);
    }
    this.#intervalMs = 1000 / perSecond;
    this.#burstWindowMs = (this.#burst - 1) * this.#intervalMs;
  }

  /** No slot taken from now on is due before `atMs`, and none of the burst is left then. */
  holdUntil(atMs: number): void {
    this.#tatMs = Math.max(this.#tatMs, atMs + this.#burstWindowMs);
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

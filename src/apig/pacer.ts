// The shared pace of one APIG client. APIG's flow control counts every
// request of the user, so a 429 is news about the limit all requests share,
// not about the one that got it: the pacer slows every request down
// (multiplicative decrease), holds them all for a `Retry-After`, and speeds
// up again gradually. The throttled request is sent again from here, so a
// 429 costs it one more slot instead of a per-resource wait in the queue.
import type { Clock } from '../common/clock.ts';
import { hasErrorKind } from '../common/errors.ts';
import { TokenBucket } from '../common/token-bucket.ts';
import type { ApigThrottledError } from './errors.ts';
import type { RateLimit } from './rate-limit.ts';

/** How the rate reacts to a 429 and recovers; fixed, exported for the tests. */
export const PACE = {
  /** On a 429 the rate drops to this fraction of what it was. */
  decrease: 0.8,
  /** Recovery is fast up to this fraction of the rate that was throttled... */
  nearCeiling: 0.95,
  /** ...gaining this fraction of the configured rate per second... */
  fastIncreasePerSecond: 0.25,
  /** ...and slow above it, probing back to the configured rate. */
  probeIncreasePerSecond: 0.01,
  /** Never slower than this many requests per second (or the configured rate, if lower). */
  minimumRate: 0.1,
} as const;

/** A request throttled this many times in a row is given up (the work queue retries it later). */
export const MAX_THROTTLED_ATTEMPTS = 8;
/** Nor is a request kept here longer than this after its first 429. */
export const MAX_THROTTLED_WAIT_MS = 60_000;

/** The adaptive rate: `rate` at `since`, rising from there; `ceiling` is the rate last throttled. */
export interface PaceState {
  rate: number;
  since: number;
  ceiling: number;
}

export function initialPace(configured: number, nowMs: number): PaceState {
  return { rate: configured, since: nowMs, ceiling: configured };
}

/** The rate at `nowMs`: fast back towards the ceiling, then a slow probe, capped at `configured`. */
export function rateAt(state: PaceState, configured: number, nowMs: number): number {
  const elapsedS = Math.max(0, nowMs - state.since) / 1000;
  const fast = configured * PACE.fastIncreasePerSecond;
  const probe = configured * PACE.probeIncreasePerSecond;
  const nearCeiling = Math.min(configured, state.ceiling * PACE.nearCeiling);
  let rate: number;
  if (state.rate >= nearCeiling) {
    rate = state.rate + probe * elapsedS;
  } else {
    const fastS = (nearCeiling - state.rate) / fast;
    rate =
      elapsedS <= fastS ? state.rate + fast * elapsedS : nearCeiling + probe * (elapsedS - fastS);
  }
  return Math.min(configured, rate);
}

/** The state after a 429 at `nowMs`. */
export function afterThrottle(state: PaceState, configured: number, nowMs: number): PaceState {
  const current = rateAt(state, configured, nowMs);
  const floor = Math.min(configured, PACE.minimumRate);
  return { rate: Math.max(floor, current * PACE.decrease), since: nowMs, ceiling: current };
}

export class Pacer {
  readonly #bucket: TokenBucket;
  readonly #configured: number;
  readonly #clock: Clock;
  #state: PaceState;
  /** Counts the decreases: a 429 for a request sent before the latest one says nothing new. */
  #epoch = 0;
  /** No request is dispatched before this (a `Retry-After`), ms since the epoch. */
  #heldUntil = Number.NEGATIVE_INFINITY;

  constructor(limit: RateLimit, clock: Clock) {
    this.#bucket = new TokenBucket(
      { perSecond: limit.requestsPerSecond, burst: limit.burst },
      clock,
    );
    this.#configured = limit.requestsPerSecond;
    this.#clock = clock;
    this.#state = initialPace(limit.requestsPerSecond, clock.now());
  }

  /** Requests per second the pacer allows now. */
  currentRate(): number {
    return rateAt(this.#state, this.#configured, this.#clock.now());
  }

  /**
   * Waits for this client's next slot, and past any `Retry-After`; resolves
   * early (without a slot) when `signal` aborts, which the caller checks.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.#bucket.setRate(this.currentRate());
      await this.#bucket.acquire(signal);
      const heldMs = this.#heldUntil - this.#clock.now();
      if (heldMs <= 0 || signal?.aborted) return;
      // Slot reserved before the hold began: wait it out, then queue again.
      await this.#clock.sleep(heldMs, signal);
      if (signal?.aborted) return;
    }
  }

  /**
   * Runs `attempt` (which acquires its own slots) until it is not throttled.
   * Each 429 adapts the shared pace and sends the request again; after
   * MAX_THROTTLED_ATTEMPTS in a row, or when the wait would pass
   * MAX_THROTTLED_WAIT_MS, the ApigThrottledError is thrown to the caller.
   */
  async run<T>(attempt: () => Promise<T>): Promise<T> {
    let throttled = 0;
    let firstThrottledAt: number | undefined;
    for (;;) {
      const epoch = this.#epoch;
      try {
        return await attempt();
      } catch (error) {
        if (!hasErrorKind(error, 'throttled')) throw error;
        const { serverRetryAfterMs } = error as ApigThrottledError;
        const now = this.#clock.now();
        this.#throttled(epoch, now, serverRetryAfterMs);
        throttled += 1;
        firstThrottledAt ??= now;
        const waitedMs = now + (serverRetryAfterMs ?? 0) - firstThrottledAt;
        if (throttled >= MAX_THROTTLED_ATTEMPTS || waitedMs > MAX_THROTTLED_WAIT_MS) throw error;
      }
    }
  }

  #throttled(epoch: number, now: number, serverRetryAfterMs: number | undefined): void {
    if (serverRetryAfterMs !== undefined) {
      this.#heldUntil = Math.max(this.#heldUntil, now + serverRetryAfterMs);
    }
    // Requests dispatched before the last decrease were paced at the old rate.
    if (epoch === this.#epoch) {
      this.#epoch += 1;
      this.#state = afterThrottle(this.#state, this.#configured, now);
    }
    // APIG's window is full now: no burst, and the next slot one interval on at the new rate.
    const rate = this.currentRate();
    this.#bucket.setRate(rate);
    this.#bucket.holdUntil(Math.max(this.#heldUntil, now + 1000 / rate));
  }
}

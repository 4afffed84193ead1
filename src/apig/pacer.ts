// The shared pace of one APIG client. APIG's flow control counts every
// request of the user, so a 429 is news about the limit all requests share,
// not about the one that got it: the pacer slows every request down, holds
// them all for a `Retry-After`, and speeds up again gradually. The throttled
// request is sent again from here, so a 429 costs it one more slot instead of
// a per-resource wait in the queue.
//
// How far it slows down is measured, as in Google's client-side throttling,
// not guessed, as in TCP's AIMD: the requests of this client that APIG let
// through in the second before the 429 are APIG's limit, and the rate drops
// to that count at once. A fixed 20 % cut took about 18 episodes (164 429s in
// a model of 1000 PUTs) to go from 50/s to APIG's 20/s; the measured one
// finds it with the first 429. The cut stays at least 20 % (a 429 though we
// sent less than passed means another client shares the quota) and at most
// 90 % (one odd window must not stall the client); fewer than five requests
// in the window measure our demand, not the limit, and get the plain 20 %
// cut. Until the oldest counted request leaves APIG's window nothing can
// pass, so every caller waits for that. Recovery is fast to 95 % of the limit
// found, then a probe compounding 2.5 % a second, so that a limit raised
// later is found again (20/s to 50/s in about 37 s) while probing just above
// the limit costs one 429 about every 3 s.
import type { Clock } from '../common/clock.ts';
import { hasErrorKind } from '../common/errors.ts';
import { TokenBucket } from '../common/token-bucket.ts';
import { isApigError, type ApigThrottledError } from './errors.ts';
import type { RateLimit } from './rate-limit.ts';

/** How the rate reacts to a 429 and recovers; fixed, exported for the tests. */
export const PACE = {
  /**
   * A client's pacer runs at this fraction of its configured limit. At exactly
   * APIG's limit, one request delayed on its way (a pause of either process,
   * the network) puts one arrival too many into some second of APIG's
   * window: 7 429s in 1000 PUTs at 50/s on the bench. 3 % under it absorbs
   * 30 ms of such delay at 50/s, for 3 % of the throughput.
   */
  aim: 0.97,
  /** On a 429 the rate drops to at most this fraction of what it was... */
  decrease: 0.8,
  /** ...to the measured limit if that is lower, but not below this fraction. */
  deepestDecrease: 0.1,
  /** APIG's window: the requests that passed in this long before a 429 measure its limit... */
  windowMs: 1000,
  /** ...when there are at least this many of them (fewer measure our demand). */
  minimumMeasured: 5,
  /**
   * Reads (drift checks, read-backs, listings) get at most this share of the
   * rate: checks of a large fleet then never fill APIG's window on their own,
   * where arrival jitter at exactly the limit gives 429s, and a fifth of the
   * limit stays free for the writes that deliver renewals.
   */
  readShare: 0.8,
  /** Recovery is fast up to this fraction of the limit last found (the ceiling)... */
  nearCeiling: 0.95,
  /** ...gaining this fraction of the configured rate per second... */
  fastIncreasePerSecond: 0.25,
  /** ...and above it a probe, compounding this fraction per second, back to the configured rate. */
  probeIncreasePerSecond: 0.025,
  /** Never slower than this many requests per second (or the configured rate, if lower). */
  minimumRate: 0.1,
} as const;

/** A request throttled this many times in a row is given up (the work queue retries it later). */
export const MAX_THROTTLED_ATTEMPTS = 8;
/** Nor is a request kept here longer than this after its first 429. */
export const MAX_THROTTLED_WAIT_MS = 60_000;

/** The adaptive rate: `rate` at `since`, rising from there; `ceiling` is the limit last found. */
export interface PaceState {
  rate: number;
  since: number;
  ceiling: number;
}

/** The limit a client's pacer is given for the configured one: `PACE.aim` of its rate. */
export function pacedLimit(configured: RateLimit): RateLimit {
  return { ...configured, requestsPerSecond: configured.requestsPerSecond * PACE.aim };
}

export function initialPace(configured: number, nowMs: number): PaceState {
  return { rate: configured, since: nowMs, ceiling: configured };
}

/** The rate at `nowMs`: fast back towards the ceiling, then a slow probe, capped at `configured`. */
export function rateAt(state: PaceState, configured: number, nowMs: number): number {
  const elapsedS = Math.max(0, nowMs - state.since) / 1000;
  const fast = configured * PACE.fastIncreasePerSecond;
  const nearCeiling = Math.min(configured, state.ceiling * PACE.nearCeiling);
  const probe = (from: number, seconds: number): number =>
    from * (1 + PACE.probeIncreasePerSecond) ** seconds;
  let rate: number;
  if (state.rate >= nearCeiling) {
    rate = probe(state.rate, elapsedS);
  } else {
    const fastS = (nearCeiling - state.rate) / fast;
    rate = elapsedS <= fastS ? state.rate + fast * elapsedS : probe(nearCeiling, elapsedS - fastS);
  }
  return Math.min(configured, rate);
}

/**
 * The state after a 429 at `nowMs`; `measured` is the limit APIG showed (requests
 * per second that passed in its window), undefined when the window held too few.
 */
export function afterThrottle(
  state: PaceState,
  configured: number,
  nowMs: number,
  measured?: number,
): PaceState {
  const current = rateAt(state, configured, nowMs);
  const floor = Math.min(configured, Math.max(PACE.minimumRate, current * PACE.deepestDecrease));
  const limit = Math.min(current, measured ?? current);
  const rate = Math.max(floor, Math.min(current * PACE.decrease, limit));
  return { rate, since: nowMs, ceiling: Math.max(rate, limit) };
}

/** What the pacer shows on /metrics. */
export interface PacerStats {
  /** Requests per second it allows now. */
  rate: number;
  /** Throttled answers so far, also those it sent again. */
  throttled: number;
}

export class Pacer {
  readonly #bucket: TokenBucket;
  /** Reads pass this too, at `readShare` of the rate, before the shared bucket. */
  readonly #reads: TokenBucket;
  readonly #configured: number;
  readonly #clock: Clock;
  #state: PaceState;
  /** Counts the decreases: a 429 for a request sent before the latest one says nothing new. */
  #epoch = 0;
  /** No request is dispatched before this (a `Retry-After`, a full window), ms since the epoch. */
  #heldUntil = Number.NEGATIVE_INFINITY;
  /** When APIG answered the requests it let through in the last window, oldest first. */
  #passed: number[] = [];
  #throttledCount = 0;

  constructor(limit: RateLimit, clock: Clock) {
    this.#bucket = new TokenBucket(
      { perSecond: limit.requestsPerSecond, burst: limit.burst },
      clock,
    );
    this.#reads = new TokenBucket(
      { perSecond: limit.requestsPerSecond * PACE.readShare, burst: 1 },
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

  stats(): PacerStats {
    return { rate: this.currentRate(), throttled: this.#throttledCount };
  }

  /**
   * Waits for this client's next slot, and past any `Retry-After`; resolves
   * early (without a slot) when `signal` aborts, which the caller checks.
   * A read also waits for its share of the rate (`PACE.readShare`).
   */
  async acquire(signal?: AbortSignal, kind: 'read' | 'write' = 'write'): Promise<void> {
    if (kind === 'read') {
      this.#reads.setRate(this.currentRate() * PACE.readShare);
      await this.#reads.acquire(signal);
      if (signal?.aborted) return;
    }
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
        const result = await attempt();
        this.#pass(this.#clock.now());
        return result;
      } catch (error) {
        if (!hasErrorKind(error, 'throttled')) {
          // An answer from APIG passed its flow control too.
          if (isApigError(error) && error.httpStatus !== undefined) this.#pass(this.#clock.now());
          throw error;
        }
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

  #pass(now: number): void {
    this.#passed.push(now);
    this.#forgetBefore(now - PACE.windowMs);
  }

  #forgetBefore(fromMs: number): void {
    const stale = this.#passed.findIndex((at) => at > fromMs);
    this.#passed.splice(0, stale === -1 ? this.#passed.length : stale);
  }

  #throttled(epoch: number, now: number, serverRetryAfterMs: number | undefined): void {
    this.#throttledCount += 1;
    if (serverRetryAfterMs !== undefined) {
      this.#heldUntil = Math.max(this.#heldUntil, now + serverRetryAfterMs);
    }
    this.#forgetBefore(now - PACE.windowMs);
    const passed = this.#passed.length;
    const measured = passed >= PACE.minimumMeasured ? passed / (PACE.windowMs / 1000) : undefined;
    // The window is full of ours until the oldest of them leaves it.
    if (measured !== undefined) {
      this.#heldUntil = Math.max(this.#heldUntil, this.#passed[0]! + PACE.windowMs);
    }
    // Requests dispatched before the last decrease were paced at the old rate.
    if (epoch === this.#epoch) {
      this.#epoch += 1;
      this.#state = afterThrottle(this.#state, this.#configured, now, measured);
    }
    // APIG's window is full now: no burst, and the next slot one interval on at the new rate.
    const rate = this.currentRate();
    this.#bucket.setRate(rate);
    this.#bucket.holdUntil(Math.max(this.#heldUntil, now + 1000 / rate));
  }
}

// APIG's per-user flow control, as a sliding one-second window.
export class SlidingWindowLimiter {
  readonly #limit: number;
  #admitted: number[] = [];

  constructor(limitPerSecond: number) {
    this.#limit = limitPerSecond;
  }

  get limit(): number {
    return this.#limit;
  }

  /** True when a request at `nowMs` is within the limit (and counts it). */
  admit(nowMs: number): boolean {
    this.#admitted = this.#admitted.filter((t) => nowMs - t < 1000);
    if (this.#admitted.length >= this.#limit) return false;
    this.#admitted.push(nowMs);
    return true;
  }
}

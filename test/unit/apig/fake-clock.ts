import type { Clock } from '../../../src/apig/clock.ts';

/**
 * A clock that only moves when told to. sleep() resolves once advance() has
 * moved the time past its deadline; sleeps records every requested delay.
 */
export class FakeClock implements Clock {
  #nowMs: number;
  readonly sleeps: number[] = [];
  #waiters: { until: number; resolve: () => void }[] = [];

  constructor(start = new Date('2026-01-01T00:00:00Z')) {
    this.#nowMs = start.getTime();
  }

  now(): Date {
    return new Date(this.#nowMs);
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return new Promise((resolve) => {
      this.#waiters.push({ until: this.#nowMs + ms, resolve });
    });
  }

  /** Moves time forward and wakes every sleeper whose deadline has passed. */
  advance(ms: number): void {
    this.#nowMs += ms;
    const due = this.#waiters.filter((w) => w.until <= this.#nowMs);
    this.#waiters = this.#waiters.filter((w) => w.until > this.#nowMs);
    for (const w of due) w.resolve();
  }

  get pendingSleeps(): number {
    return this.#waiters.length;
  }
}

import { sleepOn, type Clock, type TimerHandle } from '../../src/common/clock.ts';

interface PendingTimer {
  id: number;
  at: number;
  callback: () => void;
}

/**
 * The one manual clock of the tests: time moves only through `advance`, which
 * fires due timers in deadline order and lets promise callbacks run between
 * them, so code that awaits between timers behaves as it would in real time.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers = new Map<number, PendingTimer>();
  /** Every delay passed to sleep(), in call order. */
  readonly sleeps: number[] = [];

  constructor(start: number | Date = Date.parse('2026-01-01T00:00:00Z')) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  /** The time as a Date, for code and assertions that speak Date. */
  date(): Date {
    return new Date(this.#now);
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), callback });
    return id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as unknown as number);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return sleepOn(this, ms, signal);
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Deadlines of pending timers relative to now, soonest first. */
  pendingDelays(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushPromises();
    for (;;) {
      const due = [...this.#timers.values()]
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers.delete(due.id);
      this.#now = due.at;
      due.callback();
      await flushPromises();
    }
    this.#now = target;
    await flushPromises();
  }
}

/** Lets every queued promise callback run. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}

import { setTimeout as delay } from 'node:timers/promises';

/** Time as the APIG client sees it; tests pass a fake one. */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or early when `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : {}).catch(() => undefined),
};

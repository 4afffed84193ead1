import { setTimeout as delay } from 'node:timers/promises';

/** Time as the APIG client sees it; tests pass a fake one. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => delay(ms),
};

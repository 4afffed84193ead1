// Set-up shared by the work-queue tests.
import { WorkQueue, type WorkQueueOptions } from '../../../src/kube/work-queue.ts';
import { FakeClock } from '../../support/fake-clock.ts';

export function makeQueue(options: Partial<WorkQueueOptions> = {}): {
  queue: WorkQueue;
  clock: FakeClock;
} {
  const clock = new FakeClock();
  // random() = 0 means "no jitter" so delays are exact.
  const queue = new WorkQueue({ clock, random: () => 0, ...options });
  return { queue, clock };
}

/** Takes every key that is ready right now, in order, and marks each done. */
export async function drainReady(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.length > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

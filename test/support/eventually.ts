// Waiting for the world to catch up in tests that run against real processes:
// one polling loop, with two rules for when the wait is over.
import { setTimeout as sleep } from 'node:timers/promises';

type Attempt<T> = { done: true; value: T } | { done: false; error?: unknown };

async function poll<T>(
  attempt: () => Promise<Attempt<T>>,
  timeoutMs: number,
  intervalMs: number,
  timedOut: (lastError: unknown) => unknown,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const result = await attempt();
    if (result.done) return result.value;
    if ('error' in result) lastError = result.error;
    if (Date.now() > deadline) throw timedOut(lastError);
    await sleep(intervalMs);
  }
}

/**
 * Polls `probe` until it yields a value other than `undefined` or `false`, and
 * returns that value; a probe that throws has not succeeded yet. On timeout the
 * error names `what` and the probe's last error.
 */
export function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  return poll(
    async (): Promise<Attempt<T>> => {
      try {
        const value: T | undefined | false = await probe();
        return value === undefined || value === false ? { done: false } : { done: true, value };
      } catch (error) {
        return { done: false, error };
      }
    },
    timeoutMs,
    100,
    (last) =>
      new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      ),
  );
}

/**
 * Retries `check` (typically a jest `expect`) until it stops throwing and
 * returns its result; on timeout rethrows its last error, so a failed
 * assertion reports its own diff.
 */
export function eventuallyPasses<T>(check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  return poll(
    async (): Promise<Attempt<T>> => {
      try {
        return { done: true, value: await check() };
      } catch (error) {
        return { done: false, error };
      }
    },
    timeoutMs,
    50,
    (last) => last,
  );
}

import { runWorkers } from '../../../src/kube/work-queue.ts';
import { flushPromises } from '../../support/fake-clock.ts';
import { drainReady, makeQueue } from './work-queue-helpers.ts';

describe('WorkQueue: de-duplication and order', () => {
  it.each([
    [['a'], ['a']],
    [['a', 'a', 'a'], ['a']],
    [
      ['a', 'b', 'a', 'c', 'b'],
      ['a', 'b', 'c'],
    ],
    [
      ['ns/x', 'ns/y', 'other/x'],
      ['ns/x', 'ns/y', 'other/x'],
    ],
  ])('adds %j hand out %j', async (adds, expected) => {
    const { queue } = makeQueue();
    for (const key of adds) queue.add(key);
    expect(queue.length).toBe(expected.length);
    expect(await drainReady(queue)).toEqual(expected);
    expect(queue.length).toBe(0);
  });
});

describe('WorkQueue: one worker per key', () => {
  it('holds a key added while it is processed until done, then hands it out once', async () => {
    const { queue } = makeQueue();
    queue.add('ns/a');
    const key = await queue.get();
    expect(key).toBe('ns/a');
    queue.add('ns/a');
    queue.add('ns/a');
    expect(queue.length).toBe(0);
    let handedOut: string | undefined;
    const next = queue.get().then((k) => (handedOut = k));
    await flushPromises();
    expect(handedOut).toBeUndefined(); // still processing: no second worker gets it
    queue.done('ns/a');
    expect(await next).toBe('ns/a');
    queue.done('ns/a');
    expect(queue.length).toBe(0); // held once however often it was added
  });

  it('does not give a processing key to a second waiting worker', async () => {
    const { queue } = makeQueue();
    const first = queue.get();
    const second = queue.get();
    queue.add('ns/a');
    expect(await first).toBe('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    expect(await second).toBe('ns/b');
    queue.done('ns/b');
    queue.done('ns/a');
    expect(await queue.get()).toBe('ns/a');
  });

  it('ignores done for a key it never handed out', () => {
    const { queue } = makeQueue();
    queue.add('ns/a');
    queue.done('ns/a');
    expect(queue.length).toBe(1);
  });
});

describe('WorkQueue: delayed adds', () => {
  it('adds the key when the delay passes', async () => {
    const { queue, clock } = makeQueue();
    queue.addAfter('ns/a', 5_000);
    expect(queue.length).toBe(0);
    expect(clock.pendingDelays()).toEqual([5_000]);
    await clock.advance(4_999);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(queue.length).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([
    // [first delay, second delay, moment the key becomes ready]
    [5_000, 1_000, 1_000],
    [1_000, 5_000, 1_000],
    [3_000, 3_000, 3_000],
  ])('scheduled after %d then %d: ready at %d (earliest wins)', async (a, b, readyAt) => {
    const { queue, clock } = makeQueue();
    queue.addAfter('ns/a', a);
    queue.addAfter('ns/a', b);
    await clock.advance(readyAt - 1);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(queue.length).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([0, -5])('adds at once for a delay of %d', (ms) => {
    const { queue } = makeQueue();
    queue.addAfter('ns/a', ms);
    expect(queue.length).toBe(1);
  });
});

describe('WorkQueue: per-key backoff', () => {
  it.each([
    // [backoff policy, delays after consecutive failures]
    [
      undefined,
      [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000],
    ],
    [{ baseMs: 5, maxMs: 1_000_000 }, [5, 10, 20, 40, 80]],
    [{ baseMs: 1_000, maxMs: 30_000 }, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000]],
  ])('policy %j gives %j', (backoff, expected) => {
    const { queue } = makeQueue({
      ...(backoff ? { backoff } : {}),
      rateLimit: { perSecond: 1_000, burst: 1_000 },
    });
    const delays = expected.map(() => queue.addRateLimited('ns/a'));
    expect(delays).toEqual(expected);
    queue.forget('ns/a');
    expect(queue.addRateLimited('ns/a')).toBe(expected[0]);
  });

  it('keeps backoff per key and resets it on forget', () => {
    const { queue } = makeQueue();
    expect([queue.addRateLimited('ns/a'), queue.addRateLimited('ns/a')]).toEqual([1_000, 2_000]);
    expect(queue.addRateLimited('ns/b')).toBe(1_000);
    queue.forget('ns/a');
    expect(queue.addRateLimited('ns/a')).toBe(1_000);
  });

  it('applies jitter downwards within the bound', () => {
    const { queue } = makeQueue({ random: () => 1 });
    expect(queue.addRateLimited('ns/a')).toBe(800);
  });

  it('limits re-adds after failure across all keys with one token bucket', () => {
    const { queue } = makeQueue({
      backoff: { baseMs: 10, maxMs: 10_000 },
      rateLimit: { perSecond: 1, burst: 2 },
    });
    const delays = ['a', 'b', 'c', 'd'].map((k) => queue.addRateLimited(`ns/${k}`));
    expect(delays).toEqual([10, 10, 1_000, 2_000]);
  });

  it('re-adds the failed key when its backoff expires', async () => {
    const { queue, clock } = makeQueue();
    queue.addRateLimited('ns/a');
    await clock.advance(999);
    expect(queue.length).toBe(0);
    await clock.advance(1);
    expect(await drainReady(queue)).toEqual(['ns/a']);
  });
});

describe('WorkQueue: shutdown', () => {
  it('stops handing out keys and wakes idle workers with undefined', async () => {
    const { queue } = makeQueue();
    const idle = queue.get();
    await queue.shutDown();
    expect(await idle).toBeUndefined();
    queue.add('ns/a');
    expect(queue.length).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('drops queued and delayed keys and their timers', async () => {
    const { queue, clock } = makeQueue();
    queue.add('ns/a');
    queue.addAfter('ns/b', 1_000);
    await queue.shutDown();
    expect(queue.length).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('resolves only when in-flight keys are done', async () => {
    const { queue } = makeQueue();
    queue.add('ns/a');
    queue.add('ns/b');
    await queue.get();
    await queue.get();
    let drained = false;
    const drain = queue.shutDown().then(() => {
      drained = true;
    });
    queue.add('ns/a'); // ignored: shutting down
    queue.done('ns/a');
    await flushPromises();
    expect(drained).toBe(false);
    queue.done('ns/b');
    await drain;
    expect(drained).toBe(true);
    expect(queue.length).toBe(0);
  });
});

/** A handler whose runs the test finishes one by one. */
function controllableHandler(): {
  handler: (key: string) => Promise<void>;
  running: string[];
  maxConcurrent: () => number;
  finish: (key: string, error?: Error) => void;
} {
  const pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  const running: string[] = [];
  let max = 0;
  return {
    running,
    maxConcurrent: () => max,
    handler: (key) =>
      new Promise<void>((resolve, reject) => {
        expect(running).not.toContain(key);
        running.push(key);
        max = Math.max(max, running.length);
        pending.set(key, { resolve, reject });
      }).finally(() => {
        running.splice(running.indexOf(key), 1);
      }),
    finish: (key, error) => {
      const p = pending.get(key);
      if (!p) throw new Error(`${key} is not running`);
      pending.delete(key);
      if (error) p.reject(error);
      else p.resolve();
    },
  };
}

describe('runWorkers', () => {
  it('runs at most `concurrency` keys at once and never one key twice', async () => {
    const { queue } = makeQueue();
    const h = controllableHandler();
    const workers = runWorkers(queue, 2, h.handler);
    for (const k of ['a', 'b', 'c']) queue.add(`ns/${k}`);
    await flushPromises();
    expect(h.running).toEqual(['ns/a', 'ns/b']);
    queue.add('ns/a'); // changes while running: must run again afterwards, not concurrently
    h.finish('ns/a');
    await flushPromises();
    expect(h.running).toEqual(['ns/b', 'ns/c']);
    h.finish('ns/b');
    await flushPromises();
    expect(h.running).toEqual(['ns/c', 'ns/a']);
    h.finish('ns/c');
    h.finish('ns/a');
    await flushPromises();
    expect(h.maxConcurrent()).toBe(2);
    await queue.shutDown();
    await workers;
  });

  it('retries a failing key with growing backoff and resets it after a success', async () => {
    const { queue, clock } = makeQueue();
    const outcomes = [new Error('boom'), new Error('boom'), undefined, new Error('boom')];
    const runsAt: number[] = [];
    const errors: [string, number][] = [];
    const workers = runWorkers(
      queue,
      1,
      () => {
        runsAt.push(clock.now());
        const outcome = outcomes.shift();
        return outcome ? Promise.reject(outcome) : Promise.resolve();
      },
      { onError: (key, _error, delay) => errors.push([key, delay]) },
    );
    const start = clock.now();
    queue.add('ns/a');
    await clock.advance(10_000);
    expect(runsAt.map((t) => t - start)).toEqual([0, 1_000, 3_000]);
    expect(errors).toEqual([
      ['ns/a', 1_000],
      ['ns/a', 2_000],
    ]);
    // After the success a new failure starts the backoff afresh.
    queue.add('ns/a');
    await clock.advance(0);
    expect(errors.at(-1)).toEqual(['ns/a', 1_000]);
    await queue.shutDown();
    await workers;
  });

  it('requeues after requeueAfterMs without counting a failure', async () => {
    const { queue, clock } = makeQueue();
    const runsAt: number[] = [];
    const errors: number[] = [];
    const workers = runWorkers(
      queue,
      1,
      () => {
        runsAt.push(clock.now());
        if (runsAt.length === 1) return Promise.resolve({ requeueAfterMs: 30_000 });
        return runsAt.length === 2 ? Promise.reject(new Error('boom')) : Promise.resolve();
      },
      { onError: (_key, _error, delay) => errors.push(delay) },
    );
    const start = clock.now();
    queue.add('ns/a');
    await clock.advance(60_000);
    // The failure after the requeue is the first one: a requeue is not a failure.
    expect(runsAt.map((t) => t - start)).toEqual([0, 30_000, 31_000]);
    expect(errors).toEqual([1_000]);
    await queue.shutDown();
    await workers;
  });

  it('lets in-flight handlers finish on shutdown and then resolves', async () => {
    const { queue, clock } = makeQueue();
    const h = controllableHandler();
    let stopped = false;
    const workers = runWorkers(queue, 3, h.handler).then(() => {
      stopped = true;
    });
    queue.add('ns/a');
    queue.add('ns/b');
    await flushPromises();
    const drained = queue.shutDown();
    await flushPromises();
    expect(stopped).toBe(false);
    h.finish('ns/a');
    h.finish('ns/b', new Error('late failure'));
    await drained;
    await workers;
    expect(stopped).toBe(true);
    expect(clock.pendingTimers).toBe(0); // the late failure schedules no retry
  });

  it('hands each handler a signal that aborts when the queue shuts down', async () => {
    const { queue } = makeQueue();
    const signals: AbortSignal[] = [];
    const h = controllableHandler();
    const workers = runWorkers(queue, 2, (key, signal) => {
      signals.push(signal);
      return h.handler(key);
    });
    queue.add('ns/a');
    queue.add('ns/b');
    await flushPromises();
    expect(signals).toHaveLength(2);
    expect(signals.map((s) => s.aborted)).toEqual([false, false]);
    const drained = queue.shutDown();
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    h.finish('ns/a');
    h.finish('ns/b');
    await drained;
    await workers;
  });

  it('aborts the signal of a handler that is waiting, so it can stop early', async () => {
    const { queue } = makeQueue();
    let sawAbort = false;
    const workers = runWorkers(
      queue,
      1,
      (_key, signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            sawAbort = true;
            resolve();
          });
        }),
    );
    queue.add('ns/a');
    await flushPromises();
    await queue.shutDown();
    await workers;
    expect(sawAbort).toBe(true);
  });

  it.each([0, -1, 1.5])('rejects concurrency %d', async (n) => {
    const { queue } = makeQueue();
    await expect(runWorkers(queue, n, () => Promise.resolve())).rejects.toThrow(RangeError);
  });
});

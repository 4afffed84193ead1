import { ApigServerError, ApigThrottledError } from '../../../src/apig/errors.ts';
import {
  afterThrottle,
  initialPace,
  MAX_THROTTLED_ATTEMPTS,
  MAX_THROTTLED_WAIT_MS,
  Pacer,
  rateAt,
  type PaceState,
} from '../../../src/apig/pacer.ts';
import { SlidingWindowLimiter } from '../../support/apig-simulator/rate-limit.ts';
import { FakeClock, flushPromises } from '../../support/fake-clock.ts';
import { seededRandom } from '../../support/seeded-random.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function throttled(serverRetryAfterMs?: number): ApigThrottledError {
  return new ApigThrottledError('throttled', {
    operation: 'updateCertificate',
    httpStatus: 429,
    errorCode: 'APIGW.0308',
    retryAfterMs: serverRetryAfterMs ?? 3_000,
    serverRetryAfterMs,
  });
}

/** A stand-in for the client's attempt: takes a slot, notes when it "dispatched", answers from a script. */
function scripted(pacer: Pacer, clock: FakeClock, answers: (ApigThrottledError | 'ok')[]) {
  const dispatchedAt: number[] = [];
  const attempt = async (): Promise<string> => {
    await pacer.acquire();
    dispatchedAt.push(clock.now() - T0);
    const answer = answers[dispatchedAt.length - 1] ?? 'ok';
    if (answer !== 'ok') throw answer;
    return 'ok';
  };
  return { attempt, dispatchedAt };
}

describe('the adaptive rate (pure)', () => {
  const configured = 50;
  const throttledAtFull: PaceState = afterThrottle(initialPace(configured, T0), configured, T0);

  it.each<[string, PaceState, number, number]>([
    ['never throttled: the configured rate', initialPace(configured, T0), 10_000, 50],
    ['right after a 429 at 50/s: 80 % of it', throttledAtFull, 0, 40],
    // fast phase: +25 % of 50/s per second up to 95 % of the throttled rate (47.5)
    ['0.4 s later: fast recovery', throttledAtFull, 400, 45],
    ['0.6 s later: at 95 % of the throttled rate', throttledAtFull, 600, 47.5],
    // probe phase: +1 % of 50/s per second
    ['2.6 s later: probing slowly', throttledAtFull, 2_600, 48.5],
    ['a minute later: back to the configured rate, not beyond', throttledAtFull, 60_000, 50],
  ])('%s', (_case, state, afterMs, expected) => {
    expect(rateAt(state, configured, T0 + afterMs)).toBeCloseTo(expected, 6);
  });

  it.each<[string, number, number]>([
    ['one 429', 1, 40],
    ['two in a row', 2, 32],
    ['ten in a row: still above the floor', 10, 50 * 0.8 ** 10],
    ['a hundred in a row: the floor of 0.1/s', 100, 0.1],
  ])('decreases multiplicatively: %s', (_case, times, expected) => {
    let state = initialPace(configured, T0);
    for (let i = 0; i < times; i++) state = afterThrottle(state, configured, T0);
    expect(rateAt(state, configured, T0)).toBeCloseTo(expected, 6);
  });

  it('recovers to the configured rate when the ceiling lies below it', () => {
    // throttled at 20/s: fast back to 19/s, then the slow probe to 50/s
    const state = afterThrottle({ rate: 20, since: T0, ceiling: 20 }, configured, T0);
    expect(rateAt(state, configured, T0 + 240)).toBeCloseTo(19, 6);
    expect(rateAt(state, configured, T0 + 10_240)).toBeCloseTo(24, 6);
    expect(rateAt(state, configured, T0 + 100_000)).toBe(50);
  });
});

describe('Pacer', () => {
  it('keeps the burst, then the configured rate, while nothing is throttled', async () => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 10, burst: 3 }, clock);
    const { attempt, dispatchedAt } = scripted(pacer, clock, []);
    const all = Array.from({ length: 6 }, () => pacer.run(attempt));
    await clock.advance(1_000);
    await Promise.all(all);
    expect(dispatchedAt).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it('sends a throttled request again, one interval at the lowered rate later', async () => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 10, burst: 1 }, clock);
    const { attempt, dispatchedAt } = scripted(pacer, clock, [throttled(), 'ok']);
    const result = pacer.run(attempt);
    await clock.advance(1_000);
    await expect(result).resolves.toBe('ok');
    // 10/s → 8/s: 125 ms
    expect(dispatchedAt).toEqual([0, 125]);
    // 8/s, +2.5/s per second to 9.5/s (0.6 s), then +0.1/s per second
    expect(pacer.currentRate()).toBeCloseTo(9.54, 6);
  });

  it('slows every request of the client down, not only the throttled one', async () => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 10, burst: 1 }, clock);
    const first = scripted(pacer, clock, [throttled()]);
    const throttledRun = pacer.run(first.attempt);
    await clock.advance(0);
    // The next caller, unthrottled, gets its slots at the lowered rate.
    const other = scripted(pacer, clock, []);
    const all = [pacer.run(other.attempt), pacer.run(other.attempt)];
    await clock.advance(1_000);
    await Promise.all([...all, throttledRun]);
    // 8/s and rising: the retry at 125 ms, the others after it, never 100 ms apart
    expect(first.dispatchedAt).toEqual([0, 125]);
    expect(other.dispatchedAt[0]).toBe(250);
    expect(other.dispatchedAt[1]! - other.dispatchedAt[0]!).toBeGreaterThan(100);
  });

  it('holds every request, also those already waiting for a slot, until Retry-After has passed', async () => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 10, burst: 1 }, clock);
    const throttledOne = scripted(pacer, clock, [throttled(3_000), 'ok']);
    const waiting = scripted(pacer, clock, []);
    const a = pacer.run(throttledOne.attempt);
    // Takes the 100 ms slot before the 429 arrives.
    const b = pacer.run(waiting.attempt);
    await clock.advance(10_000);
    await Promise.all([a, b]);
    expect(throttledOne.dispatchedAt[0]).toBe(0);
    expect(waiting.dispatchedAt[0]).toBeGreaterThanOrEqual(3_000);
    expect(throttledOne.dispatchedAt[1]).toBeGreaterThanOrEqual(3_000);
  });

  it('decreases once for 429s of requests sent at the same rate', async () => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 50, burst: 5 }, clock);
    const answers = scripted(pacer, clock, [throttled(), throttled(), throttled()]);
    const all = [0, 1, 2].map(() => pacer.run(answers.attempt));
    await clock.advance(0);
    // Three 429s of one burst: one decrease (50 → 40), not three (25.6).
    expect(pacer.currentRate()).toBeCloseTo(40, 6);
    await clock.advance(2_000);
    await Promise.all(all);
  });

  it.each<[string, (ApigThrottledError | 'ok')[], number]>([
    [
      `${MAX_THROTTLED_ATTEMPTS} 429s in a row`,
      Array.from({ length: MAX_THROTTLED_ATTEMPTS }, () => throttled()),
      MAX_THROTTLED_ATTEMPTS,
    ],
    [
      `a Retry-After beyond ${MAX_THROTTLED_WAIT_MS} ms`,
      [throttled(MAX_THROTTLED_WAIT_MS + 1_000)],
      1,
    ],
    ['Retry-After adding up beyond the budget', [throttled(40_000), throttled(40_000)], 2],
  ])('gives up after %s: the work queue takes over', async (_case, answers, attempts) => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 10, burst: 1 }, clock);
    const run = scripted(pacer, clock, answers);
    const result = pacer.run(run.attempt);
    result.catch(() => undefined);
    await clock.advance(200_000);
    await expect(result).rejects.toMatchObject({ kind: 'throttled' });
    expect(run.dispatchedAt).toHaveLength(attempts);
  });

  it('passes any other failure through at once', async () => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 10, burst: 1 }, clock);
    let calls = 0;
    const failure = new ApigServerError('server error', { operation: 'updateCertificate' });
    const result = pacer.run(() => {
      calls += 1;
      return Promise.reject(failure);
    });
    await expect(result).rejects.toBe(failure);
    expect(calls).toBe(1);
    expect(pacer.currentRate()).toBe(10);
  });

  it('an abort ends a Retry-After hold at once', async () => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 10, burst: 1 }, clock);
    void pacer.run(scripted(pacer, clock, [throttled(30_000)]).attempt);
    await clock.advance(0);
    const controller = new AbortController();
    let released = false;
    const waiting = pacer.acquire(controller.signal).then(() => (released = true));
    await clock.advance(1_000);
    expect(released).toBe(false);
    controller.abort();
    await flushPromises();
    await waiting;
    expect(released).toBe(true);
    expect(clock.now() - T0).toBeLessThan(30_000);
  });
});

/**
 * A mass rotation against APIG's flow control (the simulator's sliding
 * one-second window) on the fake clock: `workers` callers, each request
 * reaching APIG after up to `jitterMs` of network delay, answered after
 * `latencyMs`. Returns the time to the last answer and the 429 count.
 */
async function rotate(options: {
  n: number;
  apigRate: number;
  clientRate: number;
  jitterMs: number;
  latencyMs: number;
  workers: number;
}): Promise<{ ratio: number; throttled: number; gaveUp: number }> {
  const clock = new FakeClock(T0);
  const pacer = new Pacer({ requestsPerSecond: options.clientRate, burst: 1 }, clock);
  const apig = new SlidingWindowLimiter(options.apigRate);
  const random = seededRandom(20261201);
  let next = 0;
  let throttledCount = 0;
  let gaveUp = 0;
  let lastAnswer = T0;
  const attempt = async (): Promise<void> => {
    await pacer.acquire();
    await clock.sleep(random() * options.jitterMs);
    const admitted = apig.admit(clock.now());
    await clock.sleep(options.latencyMs);
    lastAnswer = clock.now();
    if (!admitted) {
      throttledCount += 1;
      throw throttled();
    }
  };
  const workers = Array.from({ length: options.workers }, async () => {
    while (next < options.n) {
      next += 1;
      // A call the pacer gave up on goes back to the queue: sent again, later.
      while (
        await pacer.run(attempt).then(
          () => false,
          () => true,
        )
      )
        gaveUp += 1;
    }
  });
  const done = Promise.all(workers);
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) await clock.advance(100);
  await done;
  const idealMs = (options.n / options.apigRate) * 1000;
  return { ratio: (lastAnswer - T0) / idealMs, throttled: throttledCount, gaveUp };
}

describe('pacing a mass rotation against a sliding-window APIG (fake clock)', () => {
  it.each([
    // client = APIG: at most 1.1 × N/R and 429s at most 1 % of the PUTs
    { n: 100, apigRate: 50, clientRate: 50, jitterMs: 5, latencyMs: 1, maxRatio: 1.1, max429: 1 },
    { n: 1000, apigRate: 50, clientRate: 50, jitterMs: 5, latencyMs: 1, maxRatio: 1.1, max429: 10 },
    {
      n: 1000,
      apigRate: 50,
      clientRate: 50,
      jitterMs: 20,
      latencyMs: 1,
      maxRatio: 1.1,
      max429: 10,
    },
    // APIG below the client: at most 1.3 × N/R_apig
    { n: 100, apigRate: 20, clientRate: 50, jitterMs: 5, latencyMs: 1, maxRatio: 1.3, max429: 100 },
    {
      n: 1000,
      apigRate: 20,
      clientRate: 50,
      jitterMs: 5,
      latencyMs: 1,
      maxRatio: 1.3,
      max429: 1000,
    },
    // APIG answering in 200 ms: 16 workers still reach the rate
    {
      n: 1000,
      apigRate: 50,
      clientRate: 50,
      jitterMs: 5,
      latencyMs: 200,
      maxRatio: 1.1,
      max429: 10,
    },
  ])(
    'N=$n, APIG $apigRate/s, client $clientRate/s, jitter $jitterMs ms, latency $latencyMs ms',
    async ({ maxRatio, max429, ...options }) => {
      const result = await rotate({ ...options, workers: 16 });
      expect(result.ratio).toBeLessThanOrEqual(maxRatio);
      expect(result.throttled).toBeLessThanOrEqual(max429);
      expect(result.gaveUp).toBe(0);
    },
    30_000,
  );
});

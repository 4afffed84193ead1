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
import { FakeClock, flushPromises } from '../../support/fake-clock.ts';

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
    // probe phase: +2.5 % per second, compounded
    ['2.6 s later: probing slowly', throttledAtFull, 2_600, 47.5 * 1.025 ** 2],
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
    expect(rateAt(state, configured, T0 + 10_240)).toBeCloseTo(19 * 1.025 ** 10, 6);
    expect(rateAt(state, configured, T0 + 100_000)).toBe(50);
  });

  it.each<[string, number | undefined, number, number]>([
    ['no measurement: the 20 % cut', undefined, 40, 50],
    ['APIG let 20/s through: down to 20 at once', 20, 20, 20],
    ['a limit just below the rate: still the 20 % cut, back fast to 95 % of it', 45, 40, 45],
    ['more passed than we sent (a shared quota): the 20 % cut', 60, 40, 50],
    ['almost nothing passed: no deeper than 10 %', 2, 5, 5],
  ])('a 429 with a measured limit: %s', (_case, measured, rate, ceiling) => {
    const state = afterThrottle(initialPace(configured, T0), configured, T0, measured);
    expect(state.rate).toBeCloseTo(rate, 6);
    expect(state.ceiling).toBeCloseTo(ceiling, 6);
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

  it('gives reads 80 % of the rate, and does not hold a write back beyond the shared rate', async () => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 10, burst: 1 }, clock);
    const dispatched: Record<'read' | 'write', number[]> = { read: [], write: [] };
    const send = async (kind: 'read' | 'write'): Promise<void> => {
      await pacer.acquire(undefined, kind);
      dispatched[kind].push(clock.now() - T0);
    };
    const reads = Array.from({ length: 9 }, () => send('read'));
    await clock.advance(2_000);
    await Promise.all(reads);
    // 8/s: one per 125 ms.
    expect(dispatched.read).toEqual([0, 125, 250, 375, 500, 625, 750, 875, 1000]);

    dispatched.read = [];
    const mixed = [...Array.from({ length: 8 }, () => send('read')), send('write')];
    await clock.advance(2_000);
    await Promise.all(mixed);
    // The write takes the shared bucket's next slot; the reads keep their share.
    expect(dispatched.write[0]).toBeLessThanOrEqual(2_000 + 100);
    expect(dispatched.read.at(-1)).toBeGreaterThanOrEqual(2_000 + 7 * 125);
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
    // 8/s, +2.5/s per second to 9.5/s (0.6 s), then +2.5 % per second
    expect(pacer.currentRate()).toBeCloseTo(9.5 * 1.025 ** 0.4, 6);
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

  it('drops to what APIG let through in the last second, and waits until that second has passed', async () => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 50, burst: 1 }, clock);
    const answers: (ApigThrottledError | 'ok')[] = [
      ...Array.from({ length: 20 }, () => 'ok' as const),
      throttled(),
    ];
    const run = scripted(pacer, clock, answers);
    const all = Array.from({ length: 22 }, () => pacer.run(run.attempt));
    // 20 pass at 50/s (0-380 ms), the 21st is throttled at 400 ms.
    await clock.advance(400);
    expect(pacer.currentRate()).toBeCloseTo(20, 6);
    expect(pacer.stats()).toEqual({ rate: pacer.currentRate(), throttled: 1 });
    await clock.advance(2_000);
    await Promise.all(all);
    // The first one leaves APIG's window at 1000 ms: nothing is sent before.
    expect(run.dispatchedAt.slice(20)).toEqual([400, 1_000, 1_050]);
  });

  it('takes fewer than five requests in the window for our demand, not the limit: the 20 % cut', async () => {
    const clock = new FakeClock(T0);
    const pacer = new Pacer({ requestsPerSecond: 50, burst: 1 }, clock);
    const run = scripted(pacer, clock, ['ok', 'ok', throttled()]);
    const all = [0, 1, 2].map(() => pacer.run(run.attempt));
    await clock.advance(40);
    expect(pacer.currentRate()).toBeCloseTo(40, 6);
    await clock.advance(1_000);
    await Promise.all(all);
    // No wait for the window: the next slot one interval of 40/s on.
    expect(run.dispatchedAt).toEqual([0, 20, 40, 65]);
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

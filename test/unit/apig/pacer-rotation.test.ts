// The pacer against APIG's flow control (the simulator's sliding one-second
// window) on the fake clock: mass rotations with the limits equal, APIG's
// below the client's, APIG's raised mid-run, and 429s carrying Retry-After.
import { ApigThrottledError } from '../../../src/apig/errors.ts';
import { Pacer, pacedLimit } from '../../../src/apig/pacer.ts';
import { SlidingWindowLimiter } from '../../support/apig-simulator/rate-limit.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { seededRandom } from '../../support/seeded-random.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const WORKERS = 16;

interface Rotation {
  n: number;
  /** APIG's limit per second; `raise` replaces it at `atMs` after the start. */
  apigRate: number;
  raise?: { atMs: number; apigRate: number };
  clientRate: number;
  /** Network delay before a request reaches APIG: uniform in [0, jitterMs). */
  jitterMs: number;
  latencyMs: number;
  /** Every 429 carries this Retry-After. */
  retryAfterMs?: number;
}

interface RotationOutcome {
  /** Time to the last answer / (N / APIG's first limit). */
  ratio: number;
  throttled: number;
  gaveUp: number;
  /** Every 100 ms: the pacer's rate, ms after the start. */
  rates: { atMs: number; rate: number }[];
  /** When each request left the pacer, and when each 429 came back, ms after the start. */
  dispatchedAt: number[];
  throttledAt: number[];
}

async function rotate(options: Rotation): Promise<RotationOutcome> {
  const clock = new FakeClock(T0);
  // As the APIG client makes it: PACE.aim of the configured rate.
  const pacer = new Pacer(pacedLimit({ requestsPerSecond: options.clientRate, burst: 1 }), clock);
  const first = new SlidingWindowLimiter(options.apigRate);
  const raised = options.raise && new SlidingWindowLimiter(options.raise.apigRate);
  const apig = (atMs: number): SlidingWindowLimiter =>
    raised && atMs >= options.raise!.atMs ? raised : first;
  const random = seededRandom(20261201);
  const outcome: RotationOutcome = {
    ratio: 0,
    throttled: 0,
    gaveUp: 0,
    rates: [],
    dispatchedAt: [],
    throttledAt: [],
  };
  let next = 0;
  let lastAnswer = T0;
  const attempt = async (): Promise<void> => {
    await pacer.acquire();
    outcome.dispatchedAt.push(clock.now() - T0);
    await clock.sleep(random() * options.jitterMs);
    const admitted = apig(clock.now() - T0).admit(clock.now());
    await clock.sleep(options.latencyMs);
    lastAnswer = clock.now();
    if (!admitted) {
      outcome.throttled += 1;
      outcome.throttledAt.push(clock.now() - T0);
      throw new ApigThrottledError('throttled', {
        operation: 'updateCertificate',
        httpStatus: 429,
        errorCode: 'APIGW.0308',
        retryAfterMs: options.retryAfterMs ?? 3_000,
        serverRetryAfterMs: options.retryAfterMs,
      });
    }
  };
  const workers = Array.from({ length: WORKERS }, async () => {
    while (next < options.n) {
      next += 1;
      // A call the pacer gave up on goes back to the queue: sent again, later.
      while (
        await pacer.run(attempt).then(
          () => false,
          () => true,
        )
      )
        outcome.gaveUp += 1;
    }
  });
  const done = Promise.all(workers);
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) {
    await clock.advance(100);
    outcome.rates.push({ atMs: clock.now() - T0, rate: pacer.currentRate() });
  }
  await done;
  outcome.ratio = (lastAnswer - T0) / ((options.n / options.apigRate) * 1000);
  return outcome;
}

const base = { jitterMs: 5, latencyMs: 1, clientRate: 50 };

describe('pacing a mass rotation against a sliding-window APIG (fake clock)', () => {
  it.each([
    // client = APIG: at most 1.1 × N/R, and no 429 at all: paced at 97 % of
    // the limit (PACE.aim), 20 ms of jitter cannot overfill APIG's window
    // (at 100 % it gave 1 429 at N=100 and 6-7 at N=1000)
    { ...base, n: 100, apigRate: 50, maxRatio: 1.1, max429: 0 },
    { ...base, n: 1000, apigRate: 50, maxRatio: 1.1, max429: 0 },
    { ...base, n: 1000, apigRate: 50, jitterMs: 20, maxRatio: 1.1, max429: 0 },
    // APIG answering in 200 ms: 16 workers still reach the rate
    { ...base, n: 1000, apigRate: 50, latencyMs: 200, maxRatio: 1.1, max429: 0 },
    // APIG below the client: at most 1.3 × N/R_apig. The first 429 shows the
    // limit (1-2 429s, a 20 % cut took 77 at N=100); after it the probe,
    // back to 95 % of the limit and +2.5 % per second from there, crosses it
    // about every 3 s: one 429 per episode, about 1.5 when 200 ms of requests
    // are in flight (164 with the 20 % cut at N=1000, 524 at 5/s).
    { ...base, n: 100, apigRate: 20, maxRatio: 1.3, max429: 2 },
    { ...base, n: 1000, apigRate: 20, maxRatio: 1.3, max429: 20 },
    { ...base, n: 1000, apigRate: 20, latencyMs: 200, maxRatio: 1.3, max429: 30 },
    { ...base, n: 200, apigRate: 5, maxRatio: 1.3, max429: 30 },
  ])(
    'N=$n, APIG $apigRate/s, client $clientRate/s, jitter $jitterMs ms, latency $latencyMs ms',
    async ({ maxRatio, max429, ...options }) => {
      const result = await rotate(options);
      expect(result.ratio).toBeLessThanOrEqual(maxRatio);
      expect(result.throttled).toBeLessThanOrEqual(max429);
      expect(result.gaveUp).toBe(0);
    },
    30_000,
  );

  it('finds a limit raised mid-run again: from 20/s to 50/s within 40 s', async () => {
    const raisedAtMs = 10_000;
    const result = await rotate({
      ...base,
      n: 3000,
      apigRate: 20,
      raise: { atMs: raisedAtMs, apigRate: 50 },
    });
    const before = result.rates.filter(({ atMs }) => atMs > 2_000 && atMs <= raisedAtMs);
    expect(Math.max(...before.map(({ rate }) => rate))).toBeLessThan(22);
    // +2.5 % per second from 95 % of 20/s: 95 % of 50/s after ln(2.5) / ln(1.025) = 37 s.
    const found = result.rates.find(({ atMs, rate }) => atMs > raisedAtMs && rate >= 47.5);
    expect(found).toBeDefined();
    expect(found!.atMs - raisedAtMs).toBeLessThanOrEqual(40_000);
    expect(result.gaveUp).toBe(0);
  }, 30_000);

  it('holds every caller for the Retry-After of a 429', async () => {
    const retryAfterMs = 1_000;
    const result = await rotate({ ...base, n: 300, apigRate: 20, retryAfterMs });
    expect(result.throttledAt.length).toBeGreaterThan(0);
    for (const at of result.throttledAt) {
      const during = result.dispatchedAt.filter((d) => d > at && d < at + retryAfterMs);
      expect({ throttledAt: at, dispatchedDuringHold: during }).toEqual({
        throttledAt: at,
        dispatchedDuringHold: [],
      });
    }
    // Each 429 costs the whole client a second: slower than the limit, but every PUT goes through.
    expect(result.gaveUp).toBe(0);
  }, 30_000);
});

import { RateLimiter } from '../../../src/apig/rate-limiter.ts';
import { FakeClock } from './fake-clock.ts';

/** Lets queued promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('RateLimiter', () => {
  it('lets a burst through at once, then one request per interval', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 2, burst: 3 }, clock);
    for (let i = 0; i < 6; i++) void limiter.acquire();
    // three immediately, then 500 ms apart
    expect(clock.sleeps).toEqual([500, 1000, 1500]);
  });

  it('releases the waiting callers in call order as time passes', async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 1 }, clock);
    const released: number[] = [];
    const all = [0, 1, 2, 3].map((i) => limiter.acquire().then(() => released.push(i)));
    await settle();
    expect(released).toEqual([0]);
    clock.advance(100);
    await settle();
    expect(released).toEqual([0, 1]);
    clock.advance(200);
    await Promise.all(all);
    expect(released).toEqual([0, 1, 2, 3]);
  });

  it('refills the bucket after a quiet period, never beyond the burst', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 5, burst: 2 }, clock);
    for (let i = 0; i < 3; i++) void limiter.acquire();
    expect(clock.sleeps).toEqual([200]);
    clock.advance(60_000);
    for (let i = 0; i < 3; i++) void limiter.acquire();
    expect(clock.sleeps).toEqual([200, 200]);
  });

  it('keeps the sustained rate under steady load', () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 5, burst: 5 }, clock);
    for (let i = 0; i < 55; i++) void limiter.acquire();
    // 5 free, the 50 others spread over 10 s
    expect(clock.sleeps).toHaveLength(50);
    expect(clock.sleeps.at(-1)).toBeCloseTo(10_000);
  });

  it.each([
    [{ requestsPerSecond: 0, burst: 1 }],
    [{ requestsPerSecond: -1, burst: 1 }],
    [{ requestsPerSecond: Number.NaN, burst: 1 }],
    [{ requestsPerSecond: Number.POSITIVE_INFINITY, burst: 1 }],
    [{ requestsPerSecond: 1, burst: 0 }],
    [{ requestsPerSecond: 1, burst: 1.5 }],
  ])('rejects %j', (limit) => {
    expect(() => new RateLimiter(limit, new FakeClock())).toThrow(RangeError);
  });
});

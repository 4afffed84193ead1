import { TokenBucket } from '../../../src/common/token-bucket.ts';
import { FakeClock } from '../../support/fake-clock.ts';

/** Lets queued promise callbacks run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TokenBucket', () => {
  it('lets a burst through at once, then one request per interval', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perSecond: 2, burst: 3 }, clock);
    for (let i = 0; i < 6; i++) void bucket.acquire();
    // three immediately, then 500 ms apart
    expect(clock.sleeps).toEqual([500, 1000, 1500]);
  });

  it('releases the waiting callers in call order as time passes', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perSecond: 10, burst: 1 }, clock);
    const released: number[] = [];
    const all = [0, 1, 2, 3].map((i) => bucket.acquire().then(() => released.push(i)));
    await settle();
    expect(released).toEqual([0]);
    await clock.advance(100);
    await settle();
    expect(released).toEqual([0, 1]);
    await clock.advance(200);
    await Promise.all(all);
    expect(released).toEqual([0, 1, 2, 3]);
  });

  it('refills the bucket after a quiet period, never beyond the burst', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perSecond: 5, burst: 2 }, clock);
    for (let i = 0; i < 3; i++) void bucket.acquire();
    expect(clock.sleeps).toEqual([200]);
    await clock.advance(60_000);
    for (let i = 0; i < 3; i++) void bucket.acquire();
    expect(clock.sleeps).toEqual([200, 200]);
  });

  it('keeps the sustained rate under steady load', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perSecond: 5, burst: 5 }, clock);
    for (let i = 0; i < 55; i++) void bucket.acquire();
    // 5 free, the 50 others spread over 10 s
    expect(clock.sleeps).toHaveLength(50);
    expect(clock.sleeps.at(-1)).toBeCloseTo(10_000);
  });

  it('an abort ends the wait at once; the slot stays spent', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perSecond: 1, burst: 1 }, clock);
    await bucket.acquire();
    const controller = new AbortController();
    let released = false;
    const waiting = bucket.acquire(controller.signal).then(() => (released = true));
    await settle();
    expect(released).toBe(false);
    controller.abort();
    await waiting;
    expect(clock.now()).toBe(new FakeClock().now());
    expect(bucket.reserve()).toBe(2000);
  });

  it('a new rate spaces the slots taken from then on; those taken keep theirs', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perSecond: 10, burst: 1 }, clock);
    expect([bucket.reserve(), bucket.reserve()]).toEqual([0, 100]);
    bucket.setRate(4);
    expect([bucket.reserve(), bucket.reserve()]).toEqual([200, 450]);
    expect(() => bucket.setRate(0)).toThrow(RangeError);
  });

  it('holdUntil: no slot before that time, and no burst left at it', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perSecond: 10, burst: 3 }, clock);
    bucket.holdUntil(clock.now() + 1_000);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([1000, 1100, 1200]);
    // An earlier time does not undo the later one.
    bucket.holdUntil(clock.now());
    expect(bucket.reserve()).toBe(1300);
  });

  it.each([
    [{ perSecond: 0, burst: 1 }],
    [{ perSecond: -1, burst: 1 }],
    [{ perSecond: Number.NaN, burst: 1 }],
    [{ perSecond: Number.POSITIVE_INFINITY, burst: 1 }],
    [{ perSecond: 1, burst: 0 }],
    [{ perSecond: 1, burst: 1.5 }],
  ])('rejects %j', (limit) => {
    expect(() => new TokenBucket(limit, new FakeClock())).toThrow(RangeError);
  });
});

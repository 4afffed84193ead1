import { TokenBucket } from '../../../src/common/token-bucket.ts';
import { backoffDelay, withJitter } from '../../../src/kube/backoff.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const cm = { baseMs: 1_000, maxMs: 300_000 };

describe('backoffDelay', () => {
  it.each([
    // [failures, random, policy, expected]
    [0, 0, cm, 0],
    [1, 0, cm, 1_000],
    [2, 0, cm, 2_000],
    [3, 0, cm, 4_000],
    [9, 0, cm, 256_000],
    [10, 0, cm, 300_000],
    [1_000_000, 0, cm, 300_000],
    [1, 1, cm, 800], // default jitter 0.2 shortens by at most a fifth
    [10, 1, cm, 240_000],
    [1, 0.5, { ...cm, jitter: 0.5 }, 750],
    [3, 1, { ...cm, jitter: 0 }, 4_000],
    [3, 0, { ...cm, factor: 3 }, 9_000],
    [2, 0, { baseMs: 1_000, maxMs: 30_000 }, 2_000],
    [6, 0, { baseMs: 1_000, maxMs: 30_000 }, 30_000],
  ])('failure %d, random %d -> %d ms', (failures, random, policy, expected) => {
    expect(backoffDelay(policy, failures, () => random)).toBe(expected);
  });

  it('never exceeds maxMs whatever the random source gives', () => {
    for (let failures = 1; failures < 40; failures++) {
      const delay = backoffDelay(cm, failures);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(cm.maxMs);
    }
  });
});

describe('withJitter', () => {
  it.each([
    [60_000, 0.2, 0, 60_000],
    [60_000, 0.2, 1, 72_000],
    [60_000, 0.5, 0.5, 75_000],
  ])('%d ms with fraction %d and random %d -> %d', (ms, fraction, random, expected) => {
    expect(withJitter(ms, fraction, () => random)).toBe(expected);
  });
});

// The work queue's retry limit is the shared bucket; these pin the behaviour it relies on.
describe('TokenBucket (src/common) as the work queue uses it', () => {
  it('grants the burst at once, then one token per interval', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perSecond: 2, burst: 3 }, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBe(500);
    expect(bucket.reserve()).toBe(1_000);
    await clock.advance(1_000);
    expect(bucket.reserve()).toBe(500);
  });

  it('refills up to the burst and no further', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ perSecond: 1, burst: 2 }, clock);
    bucket.reserve();
    bucket.reserve();
    await clock.advance(60_000);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 1_000]);
  });

  it.each([
    [0, 1],
    [1, 0],
    [-1, 5],
  ])('rejects perSecond %d burst %d', (perSecond, burst) => {
    expect(() => new TokenBucket({ perSecond, burst }, new FakeClock())).toThrow(RangeError);
  });
});

import { forEachLimited } from '../../../test/bench/pool.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('forEachLimited', () => {
  it('runs every item once, never more than the limit at a time', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (item, index) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick();
      seen.push(item * 10 + index);
      inFlight--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([10, 21, 32, 43, 54, 65, 76]);
    expect(peak).toBe(3);
  });

  it('rejects with the first failure and starts no new item after it', async () => {
    const started: number[] = [];
    await expect(
      forEachLimited([1, 2, 3, 4, 5], 1, async (item) => {
        started.push(item);
        await tick();
        if (item === 2) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });

  it('accepts an empty list and refuses a limit below 1', async () => {
    await expect(forEachLimited([], 5, () => Promise.resolve())).resolves.toBeUndefined();
    await expect(forEachLimited([1], 0, () => Promise.resolve())).rejects.toThrow(RangeError);
  });
});

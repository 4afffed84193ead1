import { LoopTurns } from '../../../src/common/loop-turns.ts';

/** Holds the thread as a certificate parse does. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** Three CPU-bound steps started together; the first sets a timer, due before it ends. */
async function run(step: (index: number) => Promise<void>): Promise<string[]> {
  const order: string[] = [];
  await Promise.all(
    [1, 2, 3].map(async (index) => {
      await step(index);
      order.push(`step ${index}`);
      if (index === 1) setTimeout(() => order.push('timer'), 0);
      busyFor(5);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 5));
  return order;
}

describe('LoopTurns', () => {
  it('serves a timer that came due between two steps before the next step', async () => {
    const turns = new LoopTurns();
    expect(await run(() => turns.next())).toEqual(['step 1', 'timer', 'step 2', 'step 3']);
  });

  it('is needed: steps released in the same loop turn hold the timer until all have run', async () => {
    const sameTurn = new Promise<void>((resolve) => setImmediate(resolve));
    expect(await run(() => sameTurn)).toEqual(['step 1', 'step 2', 'step 3', 'timer']);
  });

  it('hands out turns in call order', async () => {
    const turns = new LoopTurns();
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        await turns.next();
        order.push(index);
      }),
    );
    expect(order).toEqual(Array.from({ length: 20 }, (_, index) => index));
  });
});

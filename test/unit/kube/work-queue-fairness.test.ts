import type { WorkQueue, WorkQueueOptions } from '../../../src/kube/work-queue.ts';
import { flushPromises } from '../../support/fake-clock.ts';
import { drainReady, makeQueue } from './work-queue-helpers.ts';

/** The group of `a1` is `a`: the key's first letter. */
const byLetter = (key: string): string => key.slice(0, 1);

/**
 * Calls `get` `count` times without calling `done`: the keys handed out at
 * once, in order, and the pending gets (workers left waiting).
 */
async function takeWithoutDone(
  queue: WorkQueue,
  count: number,
): Promise<{ taken: string[]; waiting: Promise<string | undefined>[] }> {
  const taken: string[] = [];
  const waiting: Promise<string | undefined>[] = [];
  for (let i = 0; i < count; i++) {
    let handed: string | undefined;
    const next = queue.get().then((key) => (handed = key));
    await flushPromises();
    if (handed === undefined) waiting.push(next);
    else taken.push(handed);
  }
  return { taken, waiting };
}

describe('WorkQueue fairness: round-robin between groups', () => {
  it.each<[string, WorkQueueOptions['fairness'], string[], string[]]>([
    [
      'groups take turns, arrival order within a group',
      { groupOf: byLetter, workers: 16 },
      ['a1', 'a2', 'a3', 'b1', 'b2', 'c1'],
      ['a1', 'b1', 'c1', 'a2', 'b2', 'a3'],
    ],
    [
      'groups take turns in the order they got work',
      { groupOf: byLetter, workers: 16 },
      ['a1', 'a2', 'c1', 'b1', 'b2'],
      ['a1', 'c1', 'b1', 'a2', 'b2'],
    ],
    [
      'one group: arrival order',
      { groupOf: () => 'only', workers: 16 },
      ['a1', 'b1', 'a2'],
      ['a1', 'b1', 'a2'],
    ],
    ['no fairness: arrival order', undefined, ['a1', 'a2', 'b1', 'c1'], ['a1', 'a2', 'b1', 'c1']],
  ])('%s', async (_case, fairness, adds, expected) => {
    const { queue } = makeQueue(fairness ? { fairness } : {});
    for (const key of adds) queue.add(key);
    expect(queue.length).toBe(adds.length);
    expect(await drainReady(queue)).toEqual(expected);
  });
});

describe('WorkQueue fairness: a group holds at most its share of the workers', () => {
  it.each<[string, WorkQueueOptions['fairness'], string[], number, string[]]>([
    [
      '4 workers, 2 groups with work: 2 each, the 5th get waits though a1.. are ready',
      { groupOf: byLetter, workers: 4 },
      ['a1', 'a2', 'a3', 'a4', 'b1', 'b2', 'b3'],
      5,
      ['a1', 'b1', 'a2', 'b2'],
    ],
    [
      '16 workers, 10 groups: ceil(16/10) = 2 each',
      { groupOf: byLetter, workers: 16 },
      ['a1', 'a2', 'a3', ...'bcdefghij'.split('').map((g) => `${g}1`)],
      12,
      ['a1', 'b1', 'c1', 'd1', 'e1', 'f1', 'g1', 'h1', 'i1', 'j1', 'a2'],
    ],
    [
      'one group with work takes every worker',
      { groupOf: byLetter, workers: 3 },
      ['a1', 'a2', 'a3', 'a4'],
      4,
      ['a1', 'a2', 'a3'],
    ],
    [
      'more groups than workers: at least one each',
      { groupOf: byLetter, workers: 2 },
      ['a1', 'a2', 'b1', 'c1'],
      4,
      ['a1', 'b1', 'c1'],
    ],
    [
      'no fairness: no cap',
      undefined,
      ['a1', 'a2', 'a3', 'a4', 'b1'],
      5,
      ['a1', 'a2', 'a3', 'a4', 'b1'],
    ],
  ])('%s', async (_case, fairness, adds, gets, expected) => {
    const { queue } = makeQueue(fairness ? { fairness } : {});
    for (const key of adds) queue.add(key);
    const { taken, waiting } = await takeWithoutDone(queue, gets);
    expect(taken).toEqual(expected);
    expect(waiting).toHaveLength(gets - expected.length);
    expect(queue.length).toBe(adds.length - expected.length);
  });

  it('wakes a waiting worker when a group at its share finishes a key', async () => {
    const { queue } = makeQueue({ fairness: { groupOf: byLetter, workers: 2 } });
    for (const key of ['a1', 'a2', 'a3', 'b1']) queue.add(key);
    const { taken, waiting } = await takeWithoutDone(queue, 3);
    expect(taken).toEqual(['a1', 'b1']);
    expect(waiting).toHaveLength(1);
    queue.done('a1');
    expect(await waiting[0]).toBe('a2');
  });

  it('raises a group’s share when another group runs out of work', async () => {
    const { queue } = makeQueue({ fairness: { groupOf: byLetter, workers: 4 } });
    for (const key of ['a1', 'a2', 'a3', 'a4', 'b1']) queue.add(key);
    const { taken, waiting } = await takeWithoutDone(queue, 4);
    expect(taken).toEqual(['a1', 'b1', 'a2']);
    // b has no key left once b1 is done: a alone has work and may use all 4.
    queue.done('b1');
    expect(await waiting[0]).toBe('a3');
    expect(await queue.get()).toBe('a4');
  });

  it('hands a key added later to a waiting worker when its group is below its share', async () => {
    const { queue } = makeQueue({ fairness: { groupOf: byLetter, workers: 2 } });
    queue.add('a1');
    queue.add('a2');
    expect((await takeWithoutDone(queue, 2)).taken).toEqual(['a1', 'a2']);
    queue.done('a2');
    const { waiting } = await takeWithoutDone(queue, 1);
    queue.add('b1');
    expect(await waiting[0]).toBe('b1');
  });

  it('wakes workers waiting on a capped group with undefined on shutdown', async () => {
    const { queue } = makeQueue({ fairness: { groupOf: byLetter, workers: 1 } });
    queue.add('a1');
    queue.add('a2');
    const { waiting } = await takeWithoutDone(queue, 2);
    const drained = queue.shutDown();
    expect(await waiting[0]).toBeUndefined();
    queue.done('a1');
    await drained;
    expect(queue.length).toBe(0);
  });

  it.each([0, -1, 1.5])('rejects fairness.workers %p', (workers) => {
    expect(() => makeQueue({ fairness: { groupOf: byLetter, workers } })).toThrow(RangeError);
  });
});

describe('WorkQueue fairness: a key whose group changes', () => {
  it('charges a key to the group it had when handed out, and re-groups it when it is ready again', async () => {
    const groups = new Map([
      ['x', 'a'],
      ['a2', 'a'],
      ['b1', 'b'],
    ]);
    const { queue } = makeQueue({ fairness: { groupOf: (key) => groups.get(key)!, workers: 2 } });
    for (const key of ['x', 'a2', 'b1']) queue.add(key);
    const { taken } = await takeWithoutDone(queue, 2);
    expect(taken).toEqual(['x', 'b1']);
    // x moves to group b while it is processed, and is added again (dirty).
    groups.set('x', 'b');
    queue.add('x');
    queue.done('x');
    // Its share was released from a, where it was charged: a2 may go at once,
    // and x waits in b, whose share (b1) is taken.
    const { taken: next, waiting } = await takeWithoutDone(queue, 2);
    expect(next).toEqual(['a2']);
    expect(waiting).toHaveLength(1);
    queue.done('b1');
    expect(await waiting[0]).toBe('x');
  });
});

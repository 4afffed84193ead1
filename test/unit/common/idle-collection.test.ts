import {
  IDLE_COLLECTION,
  IdleCollector,
  type IdleProbe,
} from '../../../src/common/idle-collection.ts';

const MIB = 1024 * 1024;
const BUSY = IDLE_COLLECTION.quietCpuMs * 10;
const QUIET = IDLE_COLLECTION.quietCpuMs / 2;

/** A process whose CPU and RSS the test moves; a collection brings RSS to `collectsTo`. */
class FakeProcess implements IdleProbe {
  cpu = 0;
  rss = 60 * MIB;
  collections = 0;
  readonly collectsTo: number;
  constructor(collectsTo: number) {
    this.collectsTo = collectsTo;
  }
  cpuMs(): number {
    return this.cpu;
  }
  rssBytes(): number {
    return this.rss;
  }
  collect(): void {
    this.collections += 1;
    this.cpu += 20;
    this.rss = this.collectsTo;
  }
}

/** One interval: the CPU it used and how much RSS grew in it, then a check. */
interface Interval {
  cpuMs: number;
  growMiB: number;
}

function run(intervals: readonly Interval[]): number[] {
  const process = new FakeProcess(62 * MIB);
  const collector = new IdleCollector(process);
  const collectedAt: number[] = [];
  intervals.forEach(({ cpuMs, growMiB }, index) => {
    process.cpu += cpuMs;
    process.rss += growMiB * MIB;
    if (collector.check()) collectedAt.push(index);
  });
  return collectedAt;
}

const busy = (growMiB: number): Interval => ({ cpuMs: BUSY, growMiB });
const quiet: Interval = { cpuMs: QUIET, growMiB: 0 };

describe('IdleCollector', () => {
  it.each<[string, Interval[], number[]]>([
    [
      'a burst that grew RSS, then quiet: one collection',
      [busy(30), busy(10), quiet, quiet, quiet],
      [3],
    ],
    ['quiet from the start: none', [quiet, quiet, quiet, quiet], []],
    ['growth below the threshold: none', [busy(1), quiet, quiet, quiet], []],
    ['one quiet interval inside a burst: none', [busy(30), quiet, busy(5), quiet], []],
    ['still busy: none', [busy(30), busy(10), busy(10), busy(10)], []],
    [
      'each burst that grows again: one collection each',
      [busy(40), quiet, quiet, busy(8), quiet, quiet, busy(1), quiet, quiet],
      [2, 5],
    ],
  ])('%s', (_, intervals, expected) => {
    expect(run(intervals)).toEqual(expected);
  });

  it('says what the collection freed, and counts its own CPU as no work', () => {
    const process = new FakeProcess(62 * MIB);
    const collector = new IdleCollector(process);
    process.cpu += BUSY;
    process.rss = 100 * MIB;
    expect(collector.check()).toBeUndefined();
    process.cpu += QUIET;
    expect(collector.check()).toBeUndefined();
    process.cpu += QUIET;
    expect(collector.check()).toEqual({ rssBefore: 100 * MIB, rssAfter: 62 * MIB });
    process.rss = 100 * MIB; // grew again while quiet (the collection's 20 ms is not counted)
    expect(collector.check()).toEqual({ rssBefore: 100 * MIB, rssAfter: 62 * MIB });
    expect(process.collections).toBe(2);
  });
});

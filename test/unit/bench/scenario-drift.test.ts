import {
  busiestWindow,
  driftVerdicts,
  type DriftResult,
} from '../../../test/bench/scenario-drift.ts';
import { summarize } from '../../../test/bench/stats.ts';

function drift(overrides: Partial<DriftResult> = {}): DriftResult {
  return {
    resources: 1000,
    intervalMs: 30_000,
    windowMs: 90_000,
    rateLimit: 50,
    burst: 1,
    certificateGets: 3000,
    attachedDomainGets: 0,
    otherReads: 0,
    writes: 0,
    writeSamples: [],
    throttled: 0,
    requestsPerSecond: 33.3,
    maxInOneSecond: 50,
    checksPerResource: summarize([2, 3, 4]),
    unchecked: 0,
    longestGapMs: 37_000,
    lastCheckAge: summarize([1_000, 20_000, 37_000]),
    lastCheckMissing: 0,
    callsPerResourcePerDay: 24,
    consoleEdit: { correctedMs: 20_000, puts: 1 },
    ...overrides,
  };
}

const outcomes = (result: DriftResult) => driftVerdicts(result).map((v) => v.outcome);

describe('busiestWindow', () => {
  it.each([
    [[], 0],
    [[0], 1],
    [[0, 999], 2],
    [[0, 1000], 1],
    [[0, 500, 999, 1000, 1499, 3000], 4],
  ])('%j → %i', (times, most) => {
    expect(busiestWindow(times, 1_000)).toBe(most);
  });
});

describe('driftVerdicts', () => {
  it('passes a run within the limit, without writes, every resource read back in time', () => {
    expect(outcomes(drift())).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'info']);
  });

  it('has no rows when the scenario did not run', () => {
    expect(driftVerdicts(undefined)).toEqual([]);
  });

  it.each<[string, Partial<DriftResult>, string[]]>([
    ['a second above the limit', { maxInOneSecond: 51 }, ['MISS', 'PASS', 'PASS', 'PASS', 'info']],
    ['one 429', { throttled: 1 }, ['MISS', 'PASS', 'PASS', 'PASS', 'info']],
    ['one write', { writes: 1 }, ['PASS', 'MISS', 'PASS', 'PASS', 'info']],
    ['a resource never checked', { unchecked: 1 }, ['PASS', 'PASS', 'MISS', 'PASS', 'info']],
    ['no lastDriftCheckTime', { lastCheckMissing: 1 }, ['PASS', 'PASS', 'MISS', 'PASS', 'info']],
    [
      'a gap over 1.25 intervals',
      { longestGapMs: 39_501 },
      ['PASS', 'PASS', 'MISS', 'PASS', 'info'],
    ],
    [
      'a last check too old',
      { lastCheckAge: summarize([1_000, 40_000]) },
      ['PASS', 'PASS', 'MISS', 'PASS', 'info'],
    ],
    [
      'an edit not put back in time',
      { consoleEdit: { correctedMs: undefined, puts: 0 } },
      ['PASS', 'PASS', 'PASS', 'MISS', 'info'],
    ],
    [
      'an edit put back with two PUTs',
      { consoleEdit: { correctedMs: 20_000, puts: 2 } },
      ['PASS', 'PASS', 'PASS', 'MISS', 'info'],
    ],
  ])('%s', (_what, overrides, expected) => {
    expect(outcomes(drift(overrides))).toEqual(expected);
  });
});

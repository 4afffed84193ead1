import type { RotationResult } from '../../../test/bench/results.ts';
import {
  APIG_BELOW_RATE,
  pacingVerdicts,
  SLOW_APIG_LATENCY_MS,
  type PacingResult,
  type PacingScenario,
} from '../../../test/bench/scenarios-pacing.ts';
import { summarize } from '../../../test/bench/stats.ts';

const cpu = {
  wallMs: 1,
  operatorMs: 1,
  apiserverMs: 1,
  etcdMs: 1,
  benchMs: 1,
  othersMs: 0,
  capacityMs: 2,
};

function result(
  scenario: PacingScenario,
  n: number,
  totalMs: number,
  throttled: number,
  puts = n,
): PacingResult {
  const apigRate = scenario === 'APIG below the operator' ? APIG_BELOW_RATE : 50;
  const idealMs = (n / apigRate) * 1000;
  const rotation: RotationResult = {
    n,
    rateLimit: apigRate,
    totalMs,
    writesMs: 1_000,
    latency: summarize([100, 200]),
    latenciesMs: [100, 200],
    puts,
    attempts: puts + throttled,
    throttled,
    idealMs,
    ratio: totalMs / idealMs,
    cpu,
    peakRssBytes: 1,
    config: { apigRateLimit: 50, apigRateBurst: 1, reconcileConcurrency: 16 },
  };
  return {
    scenario,
    apig: {
      latencyMs: scenario === 'slow APIG' ? SLOW_APIG_LATENCY_MS : 1,
      rateLimitPerSecond: apigRate,
    },
    operatorRate: 50,
    concurrency: scenario === 'slow APIG' ? 'default' : 16,
    rotation,
  };
}

describe('pacing verdicts', () => {
  it.each<[string, PacingResult, 'PASS' | 'MISS']>([
    [
      'equal limits within 1.1 × N/R, one 429 in 100',
      result('equal limits', 100, 2_200, 1),
      'PASS',
    ],
    ['equal limits over 1.1 × N/R', result('equal limits', 100, 2_210, 0), 'MISS'],
    ['equal limits, 429s above 1 % of PUTs', result('equal limits', 1000, 21_000, 11), 'MISS'],
    ['equal limits, a PUT missing', result('equal limits', 100, 2_100, 0, 99), 'MISS'],
    [
      'APIG below: 1.3 × N/R_apig, 429s only counted',
      result('APIG below the operator', 100, 6_500, 40),
      'PASS',
    ],
    ['APIG below: over 1.3 × N/R_apig', result('APIG below the operator', 100, 6_600, 0), 'MISS'],
    ['slow APIG reaching R', result('slow APIG', 1000, 21_500, 0), 'PASS'],
    ['slow APIG capped by the workers', result('slow APIG', 1000, 30_000, 0), 'MISS'],
  ])('%s', (_case, measured, outcome) => {
    const [verdict] = pacingVerdicts([measured]);
    expect(verdict?.outcome).toBe(outcome);
    expect(verdict?.measured).toContain(`429s ${measured.rotation.throttled}`);
  });
});

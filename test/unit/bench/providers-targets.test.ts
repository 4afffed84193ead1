import {
  providersExtraPuts,
  providersVerdicts,
} from '../../../test/bench/scenario-providers-verdicts.ts';
import type { ProviderCounts, ProvidersResult } from '../../../test/bench/scenario-providers.ts';

const rows = (puts: readonly number[], throttled = 0): ProviderCounts[] =>
  puts.map((n, i) => ({
    provider: `bench-prov-${i}/apig`,
    resources: 100,
    puts: n,
    throttled,
    lastStoredMs: 10_000 - i * 100,
  }));

function result(overrides: Partial<ProvidersResult> = {}): ProvidersResult {
  return {
    providers: 2,
    resourcesPerProvider: 100,
    ratePerProvider: 10,
    firstSyncMs: 12_000,
    rotationMs: 10_500,
    rotationIdealMs: 10_000,
    firstSync: rows([100, 100]),
    rotation: rows([100, 100]),
    crossProviderPuts: 0,
    rotationCpu: {
      wallMs: 10_500,
      operatorMs: 4_000,
      apiserverMs: 7_000,
      etcdMs: 1_500,
      benchMs: 5_000,
      othersMs: 3_000,
      capacityMs: 21_000,
    },
    peakRssBytes: 90 * 1024 * 1024,
    ...overrides,
  };
}

const outcomes = (measured: ProvidersResult) => providersVerdicts(measured).map((v) => v.outcome);

describe('providers verdicts', () => {
  it.each<[string, ProvidersResult, string[], number]>([
    ['every PUT once to its own provider, within 1.1 × N/R', result(), ['info', 'PASS', 'PASS'], 0],
    ['rotation over 1.1 × N/R', result({ rotationMs: 11_100 }), ['info', 'MISS', 'PASS'], 0],
    [
      'a redundant rotation PUT on one provider',
      result({ rotation: rows([101, 100]) }),
      ['info', 'MISS', 'PASS'],
      1,
    ],
    [
      'a first-sync PUT missing',
      result({ firstSync: rows([99, 100]) }),
      ['MISS', 'PASS', 'PASS'],
      1,
    ],
    ['a PUT to another endpoint', result({ crossProviderPuts: 1 }), ['MISS', 'PASS', 'MISS'], 1],
  ])('%s', (_case, measured, expected, extra) => {
    expect(outcomes(measured)).toEqual(expected);
    expect(providersExtraPuts(measured)).toBe(extra);
  });

  it('counts 429s of both phases and shows the spread per provider', () => {
    const measured = result({ firstSync: rows([100, 100], 2), rotation: rows([100, 100], 1) });
    const [first, rotation, isolation] = providersVerdicts(measured);
    expect(first?.measured).toContain('429s 4');
    expect(rotation?.measured).toContain('429s 2');
    expect(rotation?.measured).toContain('100-100 per provider; providers done 9.90 s-10.00 s');
    expect(isolation?.measured).toContain('429s 6 in all');
    expect(rotation?.measured).toContain(
      'CPU s: operator 4.0, apiserver 7.0, etcd 1.5, bench+APIG 5.0, others 3.0 of 21.0',
    );
  });

  it('has no rows when the scenario did not run', () => {
    expect(providersVerdicts(undefined)).toEqual([]);
  });
});

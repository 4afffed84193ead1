import { formatCpu, formatVerdicts, sharedMachineNote } from '../../../test/bench/report.ts';
import type { BenchResults, RotationResult } from '../../../test/bench/results.ts';
import { MIB, judge, redundantPuts } from '../../../test/bench/targets.ts';
import { summarize } from '../../../test/bench/stats.ts';

const cpu = {
  wallMs: 10_000,
  operatorMs: 5_000,
  apiserverMs: 4_000,
  etcdMs: 1_000,
  benchMs: 2_000,
  othersMs: 500,
  capacityMs: 20_000,
};
const config = {
  apigRateLimit: 1000,
  apigRateBurst: 'default',
  reconcileConcurrency: 'default',
} as const;

function rotation(overrides: Partial<RotationResult>): RotationResult {
  return {
    n: 1000,
    rateLimit: undefined,
    totalMs: 8_000,
    writesMs: 3_000,
    latency: summarize([100, 200, 300]),
    latenciesMs: [100, 200, 300],
    puts: 1000,
    attempts: 1000,
    throttled: 0,
    idealMs: undefined,
    ratio: undefined,
    cpu,
    peakRssBytes: 200 * MIB,
    config,
    ...overrides,
  };
}

function results(overrides: Partial<BenchResults> = {}): BenchResults {
  const memorySample = { rssBytes: 120 * MIB, heapUsedBytes: 30 * MIB };
  return {
    startedAt: '2026-11-28T00:00:00.000Z',
    durationMs: 1,
    machine: {
      cpus: 2,
      node: 'v24',
      kubernetes: 'v1.36.3',
      etcd: '3.6.8',
      loadAverage: { start: 1, end: 1 },
      reusedDevCluster: false,
      operator: 'dist/main.js',
      environment: {},
    },
    settings: {
      quick: false,
      large: false,
      latencyMs: 1,
      rateLimit: 50,
      sizes: [100, 1000],
      loadSize: 1000,
      trials: 50,
      fillerSecrets: 5000,
      fillerBytes: 65536,
      cgroupLimitBytes: 64 * MIB,
    },
    setup: [],
    startup: [
      {
        resources: 1000,
        toAllReadyMs: 9_000,
        toFirstReadyMs: 900,
        toLeaderMs: 800,
        modulesLoadedMs: 300,
        rssAtLoadBytes: 60 * MIB,
        puts: 1000,
        cpu,
        config,
      },
    ],
    rotations: [
      rotation({ n: 100, totalMs: 20_000, puts: 100 }),
      rotation({}),
      rotation({ rateLimit: 50, totalMs: 22_000, idealMs: 20_000, ratio: 1.1 }),
    ],
    singleChange: {
      resources: 1000,
      trials: 50,
      latency: summarize([20, 40, 900]),
      latenciesMs: [20, 40, 900],
      puts: 50,
    },
    memory: {
      resources: 1000,
      fillerSecrets: 5000,
      fillerBytes: 65536,
      before: memorySample,
      after: { rssBytes: 121 * MIB, heapUsedBytes: 30.5 * MIB },
      unforced: { before: memorySample, after: memorySample },
      samples: { before: [], beforeGc: [], after: [], afterGc: [] },
      steady: { medianBytes: 90 * MIB, maxBytes: 95 * MIB },
      appliedFillers: 1000,
      fillMs: 1,
      puts: 0,
      peakRssBytes: 180 * MIB,
      cpu,
    },
    drift: undefined,
    restart: {
      resources: 1000,
      stopMs: 50,
      toAllReconciledMs: 4_000,
      toLeaderMs: 900,
      notUnchanged: 0,
      puts: 0,
      cpu,
    },
    cgroup: {
      limitBytes: 64 * MIB,
      resources: 1000,
      fillerSecrets: 5000,
      appliedFillers: 1000,
      completed: true,
      failure: undefined,
      counters: { maxUsageBytes: 63 * MIB, failcnt: 120, oomKills: 0 },
      startup: undefined,
      rotation: undefined,
      restart: undefined,
      fillPuts: 0,
    },
    large: undefined,
    rssTraces: [
      { label: 'N=1000 first sync', startedAt: 0, peakBytes: 120 * MIB, samples: [[0, 50 * MIB]] },
      { label: 'N=100 first sync', startedAt: 0, peakBytes: 500 * MIB, samples: [] },
    ],
    pacing: [],
    providers: undefined,
    errors: [],
    ...overrides,
  };
}

const outcomes = (r: BenchResults) =>
  Object.fromEntries(judge(r).map((v) => [v.scenario, v.outcome]));

describe('judge', () => {
  it('passes a run that meets every target; sizes other than the load size are information', () => {
    expect(outcomes(results())).toEqual({
      'Start-up, 1000 unsynced': 'info',
      'Mass rotation N=100, APIG unlimited': 'info',
      'Mass rotation N=1000, APIG unlimited': 'PASS',
      'Mass rotation N=1000, APIG 50/s': 'PASS',
      'Single change, 1000 idle': 'PASS',
      'Restart, 1000 synced': 'PASS',
      'Memory, 1000 idle, unforced': 'PASS',
      'Memory, 1000 idle, after a full GC': 'PASS',
      'Memory, + 5000 Secrets × 64 KiB': 'PASS',
      'Peak RSS, N=1000 run, no limit': 'PASS',
      'Memory cgroup 64.0 MiB, N=1000 run': 'PASS',
      'Redundant PUTs, all scenarios': 'PASS',
    });
  });

  it.each([
    ['an unlimited rotation over 10 s', { rotations: [rotation({ totalMs: 10_001 })] }],
    [
      'a rate-limited rotation over 1.2 × N/R',
      { rotations: [rotation({ rateLimit: 50, idealMs: 20_000, totalMs: 24_400, ratio: 1.22 })] },
    ],
    [
      'a single-change p99 of 1 s',
      {
        singleChange: {
          resources: 1000,
          trials: 50,
          latency: summarize([10, 1000]),
          latenciesMs: [10, 1000],
          puts: 50,
        },
      },
    ],
  ])('misses %s', (_, overrides) => {
    expect(Object.values(outcomes(results(overrides)))).toContain('MISS');
  });

  it('misses memory over 150 MiB after a GC, or growing by more than 5 MiB', () => {
    const base = results();
    const heavy = results({
      memory: { ...base.memory!, before: { rssBytes: 150 * MIB, heapUsedBytes: 30 * MIB } },
    });
    expect(outcomes(heavy)['Memory, 1000 idle, after a full GC']).toBe('MISS');
    expect(outcomes(heavy)['Memory, + 5000 Secrets × 64 KiB']).toBe('PASS');
    const growing = results({
      memory: { ...base.memory!, after: { rssBytes: 120 * MIB, heapUsedBytes: 36 * MIB } },
    });
    expect(outcomes(growing)['Memory, + 5000 Secrets × 64 KiB']).toBe('MISS');
  });

  it('judges unforced RSS: the steady median at 100 MiB, the load-size peak at 128 MiB', () => {
    const base = results();
    const steady = results({
      memory: { ...base.memory!, steady: { medianBytes: 100.1 * MIB, maxBytes: 101 * MIB } },
    });
    expect(outcomes(steady)['Memory, 1000 idle, unforced']).toBe('MISS');
    const peak = results({
      rssTraces: [{ label: 'N=1000 restart', startedAt: 0, peakBytes: 129 * MIB, samples: [] }],
    });
    expect(outcomes(peak)['Peak RSS, N=1000 run, no limit']).toBe('MISS');
  });

  it.each([
    ['an OOM kill', { counters: { maxUsageBytes: 64 * MIB, failcnt: 900, oomKills: 1 } }],
    ['a run that stopped', { completed: false, failure: 'operator exited (SIGKILL)' }],
    ['no counters', { counters: undefined }],
  ])('misses the memory cgroup run on %s', (_, change) => {
    const cgroup = { ...results().cgroup!, ...change };
    expect(outcomes(results({ cgroup }))['Memory cgroup 64.0 MiB, N=1000 run']).toBe('MISS');
  });

  it('judges the large scenario by N/R + 10 s and 192 MiB', () => {
    const large = {
      resources: 5000,
      unrelatedSecrets: 20000,
      rateLimit: 50,
      startup: { ...results().startup[0]!, resources: 5000, puts: 5000, toAllReadyMs: 110_000 },
      idealMs: 100_000,
      peakRssBytes: 192 * MIB,
    };
    const row = 'Large, N=5000 + 20000 Secrets, 50/s';
    expect(outcomes(results({ large }))[row]).toBe('PASS');
    const slow = { ...large, startup: { ...large.startup, toAllReadyMs: 110_001 } };
    expect(outcomes(results({ large: slow }))[row]).toBe('MISS');
    expect(outcomes(results({ large: { ...large, peakRssBytes: 193 * MIB } }))[row]).toBe('MISS');
  });

  it('counts every PUT beyond one per new content, and a PUT on restart', () => {
    const base = results();
    const noisy = results({
      rotations: [rotation({ puts: 1002 })],
      restart: { ...base.restart!, puts: 1 },
      startup: [{ ...base.startup[0]!, puts: 999 }],
    });
    expect(redundantPuts(noisy)).toBe(4);
    expect(outcomes(noisy)['Redundant PUTs, all scenarios']).toBe('MISS');
    expect(outcomes(noisy)['Restart, 1000 synced']).toBe('MISS');
  });
});

describe('the printed tables', () => {
  it('aligns the verdicts and leaves information-only results blank', () => {
    const lines = formatVerdicts(judge(results())).split('\n');
    expect(lines[0]).toMatch(/^Scenario +Target +Result +Measured$/);
    expect(lines[1]).toMatch(/^-+$/);
    const start = lines.find((l) => l.startsWith('Start-up'))!;
    expect(start).not.toMatch(/PASS|MISS/);
    const resultColumn = lines[0]!.indexOf('Result');
    expect(lines.find((l) => l.startsWith('Restart'))!.slice(resultColumn, resultColumn + 4)).toBe(
      'PASS',
    );
  });

  it('says when other work took a real share of the machine', () => {
    expect(sharedMachineNote(results())).toBe(
      'other processes used 3% of the CPU during the measurements',
    );
    const busy = { ...cpu, othersMs: 10_000 };
    expect(sharedMachineNote(results({ restart: { ...results().restart!, cpu: busy } }))).toBe(
      'the machine was shared: other processes used 10% of its CPU during the measurements',
    );
  });

  it('shows CPU seconds by process and the operator CPU per resource', () => {
    const table = formatCpu(results());
    expect(table).toMatch(/Mass rotation N=1000, unlimited +10\.0 +20\.0 +5\.0 +5\.0 ms +4\.0/);
    expect(table).toContain('Adding 5000 unrelated Secrets');
  });
});

import { parseBenchOptions, UsageError } from '../../../test/bench/options.ts';

describe('parseBenchOptions', () => {
  it('defaults to N = 100 and 1000, 1000 idle resources, 50 trials, 5000 fillers of 64 KiB, a 64 MiB cgroup run', () => {
    expect(parseBenchOptions([])).toMatchObject({
      quick: false,
      large: false,
      sizes: [100, 1000],
      loadSize: 1000,
      trials: 50,
      fillerSecrets: 5000,
      fillerBytes: 65536,
      rateLimit: 50,
      burst: 1,
      unlimitedRate: 1000,
      latencyMs: 1,
      concurrency: 32,
      jsonPath: undefined,
      fromSource: false,
      cgroupLimitBytes: 64 * 1024 * 1024,
      cgroupOnly: false,
      appliedEvery: 5,
    });
  });

  it.each([
    [['--quick'], { sizes: [100], loadSize: 100, trials: 10, fillerSecrets: 500 }],
    [['--large'], { large: true, sizes: [100, 1000], largeSize: 5000, largeUnrelated: 20000 }],
    [['--cgroup-limit', '80'], { cgroupLimitBytes: 80 * 1024 * 1024 }],
    [['--cgroup-limit', '0'], { cgroupLimitBytes: undefined }],
    [['--cgroup-only'], { cgroupOnly: true, sizes: [] }],
    [['--large-only'], { large: true, largeOnly: true, sizes: [], largeSize: 5000 }],
    [['--json', 'out.json'], { jsonPath: 'out.json' }],
    [['--rate', '20', '--burst', '3'], { rateLimit: 20, burst: 3 }],
    [['--concurrency', '8'], { concurrency: 8 }],
    [['--latency', '0'], { latencyMs: 0 }],
    [['--source'], { fromSource: true }],
    [['--bare'], { bare: true }],
    [['--node-options', '--max-semi-space-size=2'], { nodeOptions: '--max-semi-space-size=2' }],
    [['--drift'], { driftOnly: true, sizes: [], loadSize: 1000 }],
    [['--help'], { help: true }],
    [
      ['--providers'],
      { providersOnly: true, pacingOnly: false, providerCount: 10, resourcesPerProvider: 100 },
    ],
    [['--providers', '--quick'], { providersOnly: true, resourcesPerProvider: 10 }],
  ])('%j', (argv, expected) => {
    expect(parseBenchOptions(argv)).toMatchObject(expected);
  });

  it.each([
    [['--json']],
    [['--json', '--quick']],
    [['--rate', '0']],
    [['--rate', 'fast']],
    [['--concurrency']],
    [['--latency', '-1']],
    [['--quick', '--large']],
    [['--cgroup-limit', '64M']],
    [['--cgroup-only', '--cgroup-limit', '0']],
    [['--frobnicate']],
    [['--providers', '--pacing']],
    [['--providers', '--cgroup-only']],
    [['--large-only', '--cgroup-only']],
    [['--large-only', '--quick']],
  ])('refuses %j', (argv) => {
    expect(() => parseBenchOptions(argv)).toThrow(UsageError);
  });
});

// Command-line flags of `npm run bench`.

import { DEFAULT_RECONCILE_CONCURRENCY } from '../../src/config/index.ts';

export interface BenchOptions {
  help: boolean;
  /** Only issue 12's drift scenario (scenario-drift.ts): no mass-rotation sizes. */
  driftOnly: boolean;
  quick: boolean;
  large: boolean;
  /** Only the large scenario. */
  largeOnly: boolean;
  /** Only issue 13's pacing scenarios (scenarios-pacing.ts). */
  pacingOnly: boolean;
  /** Only issue 11's providers scenario (scenario-providers.ts). */
  providersOnly: boolean;
  /** The providers scenario: ApigProviders, and ApigCertificates per provider. */
  providerCount: number;
  resourcesPerProvider: number;
  /** Where the JSON goes; undefined: test/bench/results/<timestamp>.json. */
  jsonPath: string | undefined;
  /** Mass-rotation sizes, ascending. */
  sizes: number[];
  /** Resources present during the single-change, memory, restart and start-up scenarios. */
  loadSize: number;
  /** Single-change trials. */
  trials: number;
  /** Unrelated Secrets added in the memory scenario, and the bytes of each. */
  fillerSecrets: number;
  fillerBytes: number;
  /** R: APIG's rate limit and the operator's APIG_RATE_LIMIT in the rate-limited rotation. */
  rateLimit: number;
  /** The operator's APIG_RATE_BURST in the rate-limited rotation. */
  burst: number;
  /** The operator's APIG_RATE_LIMIT when APIG has no limit ("unlimited"). */
  unlimitedRate: number;
  /** The operator's RECONCILE_CONCURRENCY. */
  concurrency: number;
  /** Latency the simulator adds to every APIG call. */
  latencyMs: number;
  /** The memory cgroup's limit for the cgroup run; undefined: not run. */
  cgroupLimitBytes: number | undefined;
  /** Only the cgroup run (to size the V8 flags against the limit). */
  cgroupOnly: boolean;
  /** Every n-th unrelated Secret is written as `kubectl apply` does. */
  appliedEvery: number;
  /** The large scenario (--large): resources and unrelated small Secrets. */
  largeSize: number;
  largeUnrelated: number;
  /** Run src/main.ts instead of a fresh build of dist/main.js. */
  fromSource: boolean;
  /** NODE_OPTIONS for the operator instead of the image's; undefined: the image's. */
  nodeOptions: string | undefined;
  /** Without the image's ENV (NODE_OPTIONS, MALLOC_ARENA_MAX), as `node dist/main.js` runs bare. */
  bare: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

  --quick              N = 100 only, 100 idle resources, 10 trials, 500 filler Secrets (smoke run)
  --large              also the large scenario: N = 5000 plus 20 000 unrelated small Secrets,
                       first sync with APIG and the operator at R (about 15 minutes)
  --large-only         only the large scenario
  --cgroup-limit <MiB> the memory cgroup of the cgroup run (default 64); 0: skip that run
  --cgroup-only        only the cgroup run
  --pacing             only the pacing scenarios (APIG limits equal, below the operator's, slow)
  --providers          only the providers scenario: 10 ApigProviders × 100 resources (× 10 with
                       --quick), each provider its own APIG endpoint at 10/s
  --json <path>        write the results there (default test/bench/results/<timestamp>.json)
  --rate <R>           APIG rate limit for the rate-limited rotation (default 50 requests/s)
  --burst <n>          the operator's APIG_RATE_BURST in that rotation (default 1)
  --concurrency <n>    the operator's RECONCILE_CONCURRENCY (default 32, the operator's own default;
                       throughput is capped at n / per-reconcile latency)
  --latency <ms>       latency the APIG simulator adds to every call (default 1)
  --source             run src/main.ts (Node's type stripping, ~20 MiB more RSS) instead of
                       building dist/main.js as the Dockerfile does
  --node-options <s>   NODE_OPTIONS for the operator instead of the Dockerfile's
  --bare               without the Dockerfile's ENV (NODE_OPTIONS, MALLOC_ARENA_MAX)
  --drift              only the drift scenario (drift checks every 30 s, APIG at the operator's rate)
  --help               this text
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function positiveInteger(flag: string, raw: string | undefined): number {
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new UsageError(`${flag} needs a positive integer, got ${raw ?? 'nothing'}`);
  }
  return Number(raw);
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let large = false;
  let largeOnly = false;
  let pacingOnly = false;
  let providersOnly = false;
  let help = false;
  let driftOnly = false;
  let jsonPath: string | undefined;
  let rateLimit = 50;
  let burst = 1;
  // The operator's own default, so that the bench runs what users get.
  let concurrency = DEFAULT_RECONCILE_CONCURRENCY;
  let latencyMs = 1;
  let fromSource = false;
  let bare = false;
  let nodeOptions: string | undefined;
  let cgroupLimitMiB = 64;
  let cgroupOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    switch (flag) {
      case '--quick':
        quick = true;
        break;
      case '--large':
        large = true;
        break;
      case '--large-only':
        large = true;
        largeOnly = true;
        break;
      case '--pacing':
        pacingOnly = true;
        break;
      case '--providers':
        providersOnly = true;
        break;
      case '--source':
        fromSource = true;
        break;
      case '--bare':
        bare = true;
        break;
      case '--node-options': {
        const value = argv[++i];
        if (value === undefined) throw new UsageError('--node-options needs a value');
        nodeOptions = value;
        break;
      }
      case '--drift':
        driftOnly = true;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      case '--json': {
        const path = argv[++i];
        if (path === undefined || path.startsWith('--'))
          throw new UsageError('--json needs a path');
        jsonPath = path;
        break;
      }
      case '--rate':
        rateLimit = positiveInteger(flag, argv[++i]);
        break;
      case '--burst':
        burst = positiveInteger(flag, argv[++i]);
        break;
      case '--cgroup-only':
        cgroupOnly = true;
        break;
      case '--cgroup-limit': {
        const raw = argv[++i];
        if (raw === undefined || !/^\d+$/.test(raw)) {
          throw new UsageError(
            `--cgroup-limit needs a whole number of MiB, got ${raw ?? 'nothing'}`,
          );
        }
        cgroupLimitMiB = Number(raw);
        break;
      }
      case '--concurrency':
        concurrency = positiveInteger(flag, argv[++i]);
        break;
      case '--latency': {
        const raw = argv[++i];
        if (raw === undefined || !/^\d+$/.test(raw)) {
          throw new UsageError(`--latency needs a whole number of ms, got ${raw ?? 'nothing'}`);
        }
        latencyMs = Number(raw);
        break;
      }
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (quick && large) throw new UsageError('--quick and --large contradict each other');
  if ([pacingOnly, driftOnly, providersOnly, cgroupOnly, largeOnly].filter(Boolean).length > 1) {
    throw new UsageError(
      '--pacing, --drift, --providers, --cgroup-only and --large-only each run only one part',
    );
  }
  if (cgroupOnly && cgroupLimitMiB === 0) {
    throw new UsageError('--cgroup-only and --cgroup-limit 0 contradict each other');
  }
  const sizes = cgroupOnly || driftOnly || largeOnly ? [] : quick ? [100] : [100, 1_000];
  return {
    help,
    driftOnly,
    quick,
    large,
    largeOnly,
    pacingOnly,
    providersOnly,
    providerCount: 10,
    resourcesPerProvider: quick ? 10 : 100,
    jsonPath,
    sizes,
    loadSize: quick ? 100 : 1_000,
    trials: quick ? 10 : 50,
    fillerSecrets: quick ? 500 : 5_000,
    fillerBytes: 64 * 1024,
    cgroupLimitBytes: cgroupLimitMiB === 0 ? undefined : cgroupLimitMiB * 1024 * 1024,
    cgroupOnly,
    appliedEvery: 5,
    largeSize: 5_000,
    largeUnrelated: 20_000,
    rateLimit,
    burst,
    unlimitedRate: 1_000,
    concurrency,
    latencyMs,
    fromSource,
    nodeOptions,
    bare,
  };
}

// What the benchmark measures, as written to the JSON file. Times in ms,
// sizes in bytes, all wall-clock on one machine.
import type { RssTrace } from './bench-operator.ts';
import type { CgroupCounters } from './cgroup.ts';
import type { CpuUse } from './cpu.ts';
import type { PacingResult } from './scenarios-pacing.ts';
import type { ProvidersResult } from './scenario-providers.ts';
import type { Summary } from './stats.ts';
import type { DriftResult } from './scenario-drift.ts';

/** The operator settings a measurement was taken with. */
export interface OperatorConfigUsed {
  apigRateLimit: number;
  apigRateBurst: number | 'default';
  reconcileConcurrency: number | 'default';
}

export interface StartupResult {
  resources: number;
  /** Process start to the last resource Ready (its 'reconciled' line, after the status write). */
  toAllReadyMs: number;
  /** Process start to the first resource Ready. */
  toFirstReadyMs: number;
  /** Process start to holding the leader lease (modules loaded, watches started, Lease taken). */
  toLeaderMs: number | undefined;
  /** Process start to every module loaded, and RSS then, before any resource (main.ts logs both). */
  modulesLoadedMs: number | undefined;
  rssAtLoadBytes: number | undefined;
  /** Successful PUTs (must equal `resources`). */
  puts: number;
  /** CPU used from the spawn to the last Ready, by process. */
  cpu: CpuUse;
  config: OperatorConfigUsed;
}

export interface RotationResult {
  n: number;
  /** APIG's rate limit R; undefined: none. */
  rateLimit: number | undefined;
  /** First Secret write to the last PUT of new content. */
  totalMs: number;
  /** First to last Secret write acknowledged by the API server. */
  writesMs: number;
  /** Each Secret write (request sent) to the PUT that carried its content. */
  latency: Summary;
  /** Every one of those latencies, for the chart. */
  latenciesMs: number[];
  /** Successful PUTs from the first write to 2 s after the last expected one. */
  puts: number;
  /** PUT attempts in that window (throttled ones included). */
  attempts: number;
  /** Attempts APIG answered 429. */
  throttled: number;
  /** N/R when rate-limited. */
  idealMs: number | undefined;
  /** totalMs / idealMs. */
  ratio: number | undefined;
  /** CPU used from the first write to the last PUT, by process. */
  cpu: CpuUse;
  /** The operator's highest RSS so far (VmHWM), read after the last PUT. */
  peakRssBytes: number;
  config: OperatorConfigUsed;
}

export interface SingleChangeResult {
  resources: number;
  trials: number;
  /** Secret write (request sent) to its PUT. */
  latency: Summary;
  latenciesMs: number[];
  /** Successful PUTs during the trials (must equal `trials`). */
  puts: number;
}

export interface MemoryResult {
  resources: number;
  fillerSecrets: number;
  fillerBytes: number;
  /**
   * Once the operator was idle, after a full GC (through the inspector, opened
   * for it, whose few MiB are included): medians of 3. Left alone, V8's memory
   * reducer gets RSS to about this within ~2 minutes of idleness.
   */
  before: MemorySampleRow;
  after: MemorySampleRow;
  /**
   * Without forcing a GC, 5 samples a second apart: medians (what a scraper
   * sees). `after` follows the forced GCs of `before`, so only `before` tells
   * what the reconciles left behind.
   */
  unforced: { before: MemorySampleRow; after: MemorySampleRow };
  /** Every sample, for judging the noise. */
  samples: {
    before: MemorySampleRow[];
    beforeGc: MemorySampleRow[];
    after: MemorySampleRow[];
    afterGc: MemorySampleRow[];
  };
  /**
   * RSS every 100 ms for 5 s once idle with the resources synced, before any
   * forced GC: the steady figure is the median.
   */
  steady: { medianBytes: number; maxBytes: number };
  /** Unrelated Secrets written as `kubectl apply` does (whole object in an annotation). */
  appliedFillers: number;
  /** Time to create the unrelated Secrets. */
  fillMs: number;
  /** PUTs while they were added (must be 0). */
  puts: number;
  /** The operator's highest RSS (VmHWM) over its life: a restart with N resources, then this. */
  peakRssBytes: number;
  /** CPU used while they were added and the operator settled. */
  cpu: CpuUse;
}

export interface MemorySampleRow {
  rssBytes: number;
  heapUsedBytes: number;
}

export interface RestartResult {
  resources: number;
  /** SIGTERM to exit of the old process. */
  stopMs: number;
  /** Start of the new process to the last resource reconciled (read from /metrics every 100 ms). */
  toAllReconciledMs: number;
  /** Start of the new process to holding the leader lease. */
  toLeaderMs: number | undefined;
  /** Reconciles that were not 'unchanged' (should be 0). */
  notUnchanged: number;
  /** Successful PUTs by the new process (must be 0). */
  puts: number;
  /** CPU used from the new spawn to the last reconcile, by process. */
  cpu: CpuUse;
}

/**
 * The whole run of `resources` (first sync, APIG-unlimited rotation, the
 * unrelated Secrets, a restart) inside a memory cgroup.
 */
export interface CgroupRunResult {
  limitBytes: number;
  resources: number;
  fillerSecrets: number;
  appliedFillers: number;
  /** Every step finished with the operator alive. */
  completed: boolean;
  /** What stopped it, when it did not complete. */
  failure: string | undefined;
  counters: CgroupCounters | undefined;
  startup: StartupResult | undefined;
  rotation: RotationResult | undefined;
  restart: RestartResult | undefined;
  /** PUTs while the unrelated Secrets were added (must be 0). */
  fillPuts: number;
}

/** N resources and many unrelated small Secrets, APIG and the operator at R. */
export interface LargeResult {
  resources: number;
  unrelatedSecrets: number;
  rateLimit: number;
  startup: StartupResult;
  /** N/R. */
  idealMs: number;
  peakRssBytes: number;
}

export interface ScenarioError {
  scenario: string;
  message: string;
}

export interface BenchResults {
  startedAt: string;
  durationMs: number;
  machine: {
    cpus: number;
    node: string;
    kubernetes: string;
    etcd: string;
    /** 1-minute load average when the run started and ended (others may share the machine). */
    loadAverage: { start: number; end: number };
    reusedDevCluster: boolean;
    /** What ran: the built dist/main.js (as deployed) or src/main.ts. */
    operator: string;
    /** The image's environment the operator ran with (NODE_OPTIONS…), --node-options applied. */
    environment: Record<string, string>;
  };
  settings: {
    quick: boolean;
    large: boolean;
    latencyMs: number;
    rateLimit: number;
    sizes: number[];
    loadSize: number;
    trials: number;
    fillerSecrets: number;
    fillerBytes: number;
    /** The memory cgroup's limit; undefined: that scenario was not run. */
    cgroupLimitBytes: number | undefined;
  };
  /** Signing N certificates and creating N Secrets plus N ApigCertificates, per fleet size. */
  setup: { n: number; certificatesMs: number; objectsMs: number }[];
  startup: StartupResult[];
  rotations: RotationResult[];
  singleChange: SingleChangeResult | undefined;
  memory: MemoryResult | undefined;
  drift: DriftResult | undefined;
  restart: RestartResult | undefined;
  cgroup: CgroupRunResult | undefined;
  large: LargeResult | undefined;
  /** RSS over the life of each operator process. */
  rssTraces: RssTrace[];
  pacing: PacingResult[];
  /** Issue 11's providers scenario; undefined: not run (or it failed, see errors). */
  providers: ProvidersResult | undefined;
  errors: ScenarioError[];
}

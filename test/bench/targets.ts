// Issues 6's and 13's targets, judged against the measurements.
import type { BenchResults, RotationResult, StartupResult } from './results.ts';
import { pacingVerdicts } from './scenarios-pacing.ts';
import { driftVerdicts } from './scenario-drift.ts';
import { providersExtraPuts, providersVerdicts } from './scenario-providers-verdicts.ts';

export const MIB = 1024 * 1024;

export const TARGETS = {
  /** Mass rotation of N = 1000 with no APIG rate limit. */
  unlimitedRotationMs: 10_000,
  /** Mass rotation with an APIG rate limit R: total time / (N/R). */
  rateLimitedRatio: 1.2,
  singleChangeP99Ms: 1_000,
  /** After a full forced GC: issue 6's figure, kept as a secondary row. */
  rssAfterGcBytes: 150 * MIB,
  /** Unforced, sampled every 100 ms: the median at 1000 idle resources, and the highest sample. */
  steadyRssBytes: 100 * MIB,
  peakRssBytes: 128 * MIB,
  /** The large scenario: all Ready within N/R plus this, and the highest RSS. */
  largeSlackMs: 10_000,
  largePeakRssBytes: 192 * MIB,
  /** "Within a few MB": RSS and heap growth after adding the unrelated Secrets. */
  growthBytes: 5 * MIB,
} as const;

export type Outcome = 'PASS' | 'MISS' | 'info';

export interface Verdict {
  scenario: string;
  measured: string;
  target: string;
  outcome: Outcome;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const millis = (ms: number): string => `${Math.round(ms)} ms`;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;
const signedMib = (bytes: number): string =>
  `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / MIB).toFixed(1)} MiB`;
const pass = (ok: boolean): Outcome => (ok ? 'PASS' : 'MISS');
const loaded = (s: StartupResult): string =>
  s.modulesLoadedMs === undefined || s.rssAtLoadBytes === undefined
    ? ''
    : `; modules loaded ${millis(s.modulesLoadedMs)} after start, RSS then ${mib(s.rssAtLoadBytes)}`;

/** The highest RSS of the processes that ran the load-size fleet without a limit. */
function loadPeak(results: BenchResults): number | undefined {
  const prefix = `N=${results.settings.loadSize} `;
  const peaks = results.rssTraces.filter((t) => t.label.startsWith(prefix)).map((t) => t.peakBytes);
  return peaks.length === 0 ? undefined : Math.max(...peaks);
}

function rotationVerdict(rotation: RotationResult, loadSize: number): Verdict {
  const { n, latency, puts, rateLimit } = rotation;
  const exact = puts === n;
  const latencies = `p50 ${millis(latency.p50)}, p99 ${millis(latency.p99)}`;
  const putsText = `PUTs ${puts}/${n}`;
  const judged = n === loadSize;
  if (rateLimit === undefined) {
    const within = rotation.totalMs <= TARGETS.unlimitedRotationMs;
    return {
      scenario: `Mass rotation N=${n}, APIG unlimited`,
      measured: `${seconds(rotation.totalMs)} (writes ${seconds(rotation.writesMs)}); ${latencies}; ${putsText}; peak RSS ${mib(rotation.peakRssBytes)}`,
      target: judged
        ? `≤ ${seconds(TARGETS.unlimitedRotationMs)}; PUTs = N`
        : 'PUTs = N (time: info)',
      outcome: judged ? pass(within && exact) : exact ? 'info' : 'MISS',
    };
  }
  const ratio = rotation.ratio ?? Number.NaN;
  const within = ratio <= TARGETS.rateLimitedRatio;
  return {
    scenario: `Mass rotation N=${n}, APIG ${rateLimit}/s`,
    measured: `${seconds(rotation.totalMs)} = ${ratio.toFixed(2)} × N/R (${seconds(rotation.idealMs ?? Number.NaN)}); ${latencies}; ${putsText}; 429s ${rotation.throttled}`,
    target: judged ? `≤ ${TARGETS.rateLimitedRatio} × N/R; PUTs = N` : 'PUTs = N (ratio: info)',
    outcome: judged ? pass(within && exact) : exact ? 'info' : 'MISS',
  };
}

/** Every PUT beyond one per new content, across all scenarios. */
export function redundantPuts(results: BenchResults): number {
  let extra = 0;
  for (const s of results.startup) extra += Math.abs(s.puts - s.resources);
  for (const r of results.rotations) extra += Math.abs(r.puts - r.n);
  if (results.singleChange)
    extra += Math.abs(results.singleChange.puts - results.singleChange.trials);
  if (results.restart) extra += results.restart.puts;
  if (results.memory) extra += results.memory.puts;
  const cgroup = results.cgroup;
  if (cgroup) {
    if (cgroup.startup) extra += Math.abs(cgroup.startup.puts - cgroup.startup.resources);
    if (cgroup.rotation) extra += Math.abs(cgroup.rotation.puts - cgroup.rotation.n);
    if (cgroup.restart) extra += cgroup.restart.puts;
    extra += cgroup.fillPuts;
  }
  if (results.large) {
    extra += Math.abs(results.large.startup.puts - results.large.startup.resources);
  }
  for (const p of results.pacing) extra += Math.abs(p.rotation.puts - p.rotation.n);
  if (results.providers) extra += providersExtraPuts(results.providers);
  return extra;
}

export function judge(results: BenchResults): Verdict[] {
  const { loadSize } = results.settings;
  const verdicts: Verdict[] = [];
  for (const s of results.startup) {
    verdicts.push({
      scenario: `Start-up, ${s.resources} unsynced`,
      measured: `${seconds(s.toAllReadyMs)} to all Ready (first ${seconds(s.toFirstReadyMs)}); PUTs ${s.puts}/${s.resources}${loaded(s)}`,
      target: 'PUTs = N (time: info)',
      outcome: s.puts === s.resources ? 'info' : 'MISS',
    });
  }
  for (const rotation of results.rotations) verdicts.push(rotationVerdict(rotation, loadSize));
  const single = results.singleChange;
  if (single) {
    verdicts.push({
      scenario: `Single change, ${single.resources} idle`,
      measured: `p50 ${millis(single.latency.p50)}, p99 ${millis(single.latency.p99)} (${single.trials} trials, max ${millis(single.latency.max)}); PUTs ${single.puts}/${single.trials}`,
      target: `p99 < ${seconds(TARGETS.singleChangeP99Ms)}`,
      outcome: pass(
        single.latency.p99 < TARGETS.singleChangeP99Ms && single.puts === single.trials,
      ),
    });
  }
  const restart = results.restart;
  if (restart) {
    verdicts.push({
      scenario: `Restart, ${restart.resources} synced`,
      measured: `${seconds(restart.toAllReconciledMs)} to all reconciled (stop ${millis(restart.stopMs)}); PUTs ${restart.puts}`,
      target: 'PUTs = 0',
      outcome: pass(restart.puts === 0 && restart.notUnchanged === 0),
    });
  }
  verdicts.push(...driftVerdicts(results.drift));
  const memory = results.memory;
  if (memory) {
    const rssGrowth = memory.after.rssBytes - memory.before.rssBytes;
    const heapGrowth = memory.after.heapUsedBytes - memory.before.heapUsedBytes;
    verdicts.push({
      scenario: `Memory, ${memory.resources} idle, unforced`,
      measured: `RSS ${mib(memory.steady.medianBytes)} (median of 100 ms samples over 5 s, max ${mib(memory.steady.maxBytes)})`,
      target: `RSS ≤ ${mib(TARGETS.steadyRssBytes)}`,
      outcome: pass(memory.steady.medianBytes <= TARGETS.steadyRssBytes),
    });
    verdicts.push({
      scenario: `Memory, ${memory.resources} idle, after a full GC`,
      measured: `RSS ${mib(memory.before.rssBytes)}, heap ${mib(memory.before.heapUsedBytes)} (inspector opened for the GC included)`,
      target: `RSS < ${mib(TARGETS.rssAfterGcBytes)}`,
      outcome: pass(memory.before.rssBytes < TARGETS.rssAfterGcBytes),
    });
    verdicts.push({
      scenario: `Memory, + ${memory.fillerSecrets} Secrets × ${memory.fillerBytes / 1024} KiB`,
      measured: `RSS ${mib(memory.after.rssBytes)} (${signedMib(rssGrowth)}), heap ${mib(memory.after.heapUsedBytes)} (${signedMib(heapGrowth)}) after a full GC; peak RSS ${mib(memory.peakRssBytes)}; PUTs ${memory.puts}`,
      target: `growth ≤ ${mib(TARGETS.growthBytes)}`,
      // The absolute RSS is judged in the row above; this one is about growth.
      outcome: pass(rssGrowth <= TARGETS.growthBytes && heapGrowth <= TARGETS.growthBytes),
    });
  }
  const peak = loadPeak(results);
  if (peak !== undefined) {
    verdicts.push({
      scenario: `Peak RSS, N=${loadSize} run, no limit`,
      measured: `${mib(peak)} (VmHWM and 100 ms samples, no GC forced before it)`,
      target: `≤ ${mib(TARGETS.peakRssBytes)}`,
      outcome: pass(peak <= TARGETS.peakRssBytes),
    });
  }
  const cgroup = results.cgroup;
  if (cgroup) {
    const c = cgroup.counters;
    const counters = c
      ? `max usage ${mib(c.maxUsageBytes)}, failcnt ${c.failcnt}, oom_kill ${c.oomKills}`
      : 'no counters';
    verdicts.push({
      scenario: `Memory cgroup ${mib(cgroup.limitBytes)}, N=${cgroup.resources} run`,
      measured: `${cgroup.completed ? 'completed' : `stopped: ${(cgroup.failure ?? 'unknown').split('\n')[0]!}`}; ${counters}; ${cgroup.fillerSecrets} unrelated Secrets (${cgroup.appliedFillers} as kubectl apply writes them)`,
      target: 'completes, oom_kill 0',
      outcome: pass(cgroup.completed && c !== undefined && c.oomKills === 0),
    });
  }
  const large = results.large;
  if (large) {
    const { startup } = large;
    const limitMs = large.idealMs + TARGETS.largeSlackMs;
    verdicts.push({
      scenario: `Large, N=${large.resources} + ${large.unrelatedSecrets} Secrets, ${large.rateLimit}/s`,
      measured: `${seconds(startup.toAllReadyMs)} to all Ready; peak RSS ${mib(large.peakRssBytes)}; PUTs ${startup.puts}/${startup.resources}`,
      target: `≤ N/R + ${seconds(TARGETS.largeSlackMs)} = ${seconds(limitMs)}; RSS ≤ ${mib(TARGETS.largePeakRssBytes)}`,
      outcome: pass(
        startup.toAllReadyMs <= limitMs &&
          large.peakRssBytes <= TARGETS.largePeakRssBytes &&
          startup.puts === startup.resources,
      ),
    });
  }
  verdicts.push(...pacingVerdicts(results.pacing));
  verdicts.push(...providersVerdicts(results.providers));
  const extra = redundantPuts(results);
  verdicts.push({
    scenario: 'Redundant PUTs, all scenarios',
    measured: String(extra),
    target: '0',
    outcome: pass(extra === 0),
  });
  return verdicts;
}

// `npm run bench`: issue 6's benchmark. The real operator (src/main.ts as a
// child process) against a real kube-apiserver and the APIG simulator with a
// latency on every call; prints a table of measurements next to the targets
// and writes the numbers as JSON for comparison between versions.
//
// Per fleet size N (a namespace of its own, WATCH_NAMESPACES set to it):
//   start-up (N unsynced) → [single change] → mass rotation, APIG unlimited →
//   [restart → memory] → mass rotation with APIG rate limit R
// The bracketed scenarios run at the load size (1000; 100 with --quick).
// Then, on a fresh fleet of the load size, the same run inside a memory
// cgroup, and with --large the large scenario. An SVG chart goes next to
// the JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { BenchApig } from './apig.ts';
import { BenchOperator, killAllOperators, type OperatorSettings } from './bench-operator.ts';
import { cgroupUnavailable } from './cgroup.ts';
import { renderCharts } from './charts.ts';
import { acquireCluster } from './cluster.ts';
import { controlPlanePids, CpuMeter } from './cpu.ts';
import { Fleet } from './fleet.ts';
import { buildOperator, imageEnvironment, sourceBuild } from './operator-build.ts';
import { parseBenchOptions, USAGE, UsageError, type BenchOptions } from './options.ts';
import type { BenchResults } from './results.ts';
import {
  massRotation,
  restart,
  singleChange,
  SETTLE_MS,
  startUp,
  type OperatorContext,
} from './scenarios.ts';
import { addFillers, cgroupRun, memory, removeFillers } from './scenarios-memory.ts';
import { formatCpu, formatVerdicts, sharedMachineNote } from './report.ts';
import { pacingScenarios } from './scenarios-pacing.ts';
import { providersScenario } from './scenario-providers.ts';
import { judge } from './targets.ts';
import { driftScenario } from './scenario-drift.ts';
import { atExit, exitAfterCleanup } from '../support/exit-cleanup.ts';

const RESULTS_DIR = new URL('./results/', import.meta.url).pathname;
const started = Date.now();

function progress(text: string): void {
  const elapsed = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[${elapsed}s] ${text}\n`);
}

function readOptions(): BenchOptions {
  try {
    return parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

atExit(killAllOperators);

/** Operators whose RSS over time goes into the results and the chart, by label. */
type Traced = { label: string; operator: BenchOperator }[];

/** The image's ENV unless --bare; --node-options replaces its NODE_OPTIONS. */
function operatorEnvironment(options: BenchOptions): Record<string, string> {
  const env = options.bare ? {} : imageEnvironment();
  if (options.nodeOptions !== undefined) env.NODE_OPTIONS = options.nodeOptions;
  return env;
}

function operatorSettings(
  options: BenchOptions,
  context: OperatorContext,
  namespace: string,
): OperatorSettings {
  return {
    main: context.main,
    apig: context.apig,
    kubeconfig: context.kubeconfig,
    namespace,
    rateLimit: options.unlimitedRate,
    concurrency: options.concurrency,
    env: context.operatorEnv,
  };
}

async function runFleet(
  options: BenchOptions,
  results: BenchResults,
  context: OperatorContext,
  n: number,
  traced: Traced,
): Promise<void> {
  const { apig } = context;
  const atLoad = n === options.loadSize;
  progress(`N=${n}: signing ${n} certificates, creating ${n} Secrets and ApigCertificates`);
  const { fleet, setup } = await Fleet.create(context.kube, apig, n);
  results.setup.push({ n, ...setup });
  progress(
    `N=${n}: signed in ${(setup.certificatesMs / 1000).toFixed(1)} s, created in ${(setup.objectsMs / 1000).toFixed(1)} s (namespace ${fleet.namespace})`,
  );
  let scenario = 'start-up';
  try {
    const unlimited = operatorSettings(options, context, fleet.namespace);
    const trace = (label: string, operator: BenchOperator): void => {
      if (atLoad) traced.push({ label: `N=${n} ${label}`, operator });
    };
    progress(`N=${n}: start-up, ${n} unsynced resources`);
    const first = await startUp(context, fleet, unlimited);
    trace('first sync, single change, rotation', first.operator);
    results.startup.push(first.result);

    if (atLoad) {
      scenario = 'single change';
      progress(`N=${n}: single change, ${options.trials} trials`);
      results.singleChange = await singleChange(context, fleet, options.trials);
    }

    scenario = 'mass rotation (unlimited)';
    progress(`N=${n}: mass rotation, APIG unlimited`);
    let current = first.operator;
    results.rotations.push(await massRotation(context, fleet, current));

    if (atLoad) {
      scenario = 'restart';
      progress(`N=${n}: restart`);
      const second = await restart(context, fleet, first.operator);
      current = second.operator;
      trace('restart, unrelated Secrets (GC forced)', current);
      results.restart = second.result;

      scenario = 'memory';
      progress(
        `N=${n}: memory, then ${options.fillerSecrets} unrelated Secrets of ${options.fillerBytes / 1024} KiB`,
      );
      results.memory = await memory(context, fleet, second.operator, {
        count: options.fillerSecrets,
        bytes: options.fillerBytes,
        appliedEvery: options.appliedEvery,
      });
    }

    scenario = 'mass rotation (rate-limited)';
    progress(`N=${n}: mass rotation, APIG and operator limited to ${options.rateLimit}/s`);
    await current.stop();
    await apig.start({ latencyMs: options.latencyMs, rateLimitPerSecond: options.rateLimit });
    // Burst 1 by default: APIG counts a sliding second, so a burst above the rate is a 429.
    const limited = BenchOperator.start({
      ...unlimited,
      rateLimit: options.rateLimit,
      burst: options.burst,
    });
    trace(`restart, rotation at ${options.rateLimit}/s`, limited);
    await limited.waitForReconcileCount(n, 120_000 + n * 100);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const restartPuts = apig.putsSince(limited.startedAt).filter((p) => p.applied).length;
    if (restartPuts > 0) {
      results.errors.push({
        scenario: `N=${n} restart with the rate limit`,
        message: `${restartPuts} PUTs sent on restart (expected none)`,
      });
    }
    results.rotations.push(await massRotation(context, fleet, limited));
    await limited.stop();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results.errors.push({ scenario: `N=${n} ${scenario}`, message });
    progress(`N=${n}: ${scenario} failed: ${message}`);
    await killAllOperators();
  } finally {
    await apig.start({ latencyMs: options.latencyMs });
    await fleet.remove();
  }
}

/** The load-size run inside a memory cgroup, on a fleet of its own. */
async function runCgroup(
  options: BenchOptions,
  results: BenchResults,
  context: OperatorContext,
  traced: Traced,
): Promise<void> {
  const limitBytes = options.cgroupLimitBytes;
  if (limitBytes === undefined) return;
  const n = options.loadSize;
  const fillers = {
    count: options.fillerSecrets,
    bytes: options.fillerBytes,
    appliedEvery: options.appliedEvery,
  };
  const limitMiB = limitBytes / 1024 / 1024;
  const unavailable = cgroupUnavailable();
  if (unavailable !== undefined) {
    results.errors.push({ scenario: `memory cgroup ${limitMiB} MiB`, message: unavailable });
    return;
  }
  progress(`cgroup ${limitMiB} MiB: a fresh fleet of ${n}`);
  const { fleet } = await Fleet.create(context.kube, context.apig, n);
  try {
    progress(
      `cgroup ${limitMiB} MiB: first sync, rotation, ${fillers.count} unrelated Secrets, restart`,
    );
    results.cgroup = await cgroupRun(
      context,
      fleet,
      operatorSettings(options, context, fleet.namespace),
      {
        limitBytes,
        fillers,
        onTrace: (label, operator) =>
          traced.push({ label: `${limitMiB} MiB cgroup: ${label}`, operator }),
      },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results.errors.push({ scenario: `memory cgroup ${limitMiB} MiB`, message });
  } finally {
    await fleet.remove().catch((error: unknown) => {
      results.errors.push({ scenario: `memory cgroup ${limitMiB} MiB`, message: String(error) });
    });
  }
}

/**
 * The image's old-space limit (32 MiB) is sized for the Deployment's 128 MiB
 * at 1000 resources; 5000 resources and 25 000 Secrets do not fit in it (the
 * first large run died of "heap out of memory"). A user scales the limit and
 * NODE_OPTIONS with the fleet, so this run does too: two-thirds of the 192 MiB
 * RSS target, a third left for code, buffers and native memory.
 */
const LARGE_OLD_SPACE_MIB = 128;

/** The operator's environment in the large scenario: the image's, with the old space above. */
function largeEnvironment(options: BenchOptions): Record<string, string> {
  const env = operatorEnvironment(options);
  if (options.nodeOptions !== undefined || env.NODE_OPTIONS === undefined) return env;
  return {
    ...env,
    NODE_OPTIONS: env.NODE_OPTIONS.replace(
      /--max-old-space-size=\d+/,
      `--max-old-space-size=${LARGE_OLD_SPACE_MIB}`,
    ),
  };
}

/** N = 5000 and 20 000 unrelated small Secrets: first sync with APIG and the operator at R. */
async function runLarge(
  options: BenchOptions,
  results: BenchResults,
  context: OperatorContext,
  traced: Traced,
): Promise<void> {
  const n = options.largeSize;
  const { apig } = context;
  progress(`large: signing ${n} certificates, creating ${n} Secrets and ApigCertificates`);
  const { fleet, setup } = await Fleet.create(context.kube, apig, n);
  results.setup.push({ n, ...setup });
  progress(
    `large: signed in ${(setup.certificatesMs / 1000).toFixed(1)} s, created in ${(setup.objectsMs / 1000).toFixed(1)} s; adding ${options.largeUnrelated} unrelated Secrets`,
  );
  try {
    const fillStart = Date.now();
    await addFillers(fleet, { count: options.largeUnrelated, bytes: 256, appliedEvery: 5 });
    progress(`large: unrelated Secrets added in ${((Date.now() - fillStart) / 1000).toFixed(1)} s`);
    await apig.start({ latencyMs: options.latencyMs, rateLimitPerSecond: options.rateLimit });
    const env = largeEnvironment(options);
    progress(`large: first sync at ${options.rateLimit}/s, NODE_OPTIONS=${env.NODE_OPTIONS ?? ''}`);
    const { operator, result } = await startUp(context, fleet, {
      ...operatorSettings(options, context, fleet.namespace),
      rateLimit: options.rateLimit,
      burst: options.burst,
      env,
    });
    traced.push({ label: `large N=${n}`, operator });
    const peakRssBytes = Math.max(await operator.peakRssBytes(), operator.rss.max());
    await operator.stop();
    results.large = {
      resources: n,
      unrelatedSecrets: options.largeUnrelated,
      rateLimit: options.rateLimit,
      startup: result,
      idealMs: (n / options.rateLimit) * 1000,
      peakRssBytes,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results.errors.push({ scenario: 'large', message });
    await killAllOperators();
  } finally {
    await apig.start({ latencyMs: options.latencyMs });
    await removeFillers(fleet);
    await fleet.remove();
  }
}

async function main(): Promise<void> {
  const options = readOptions();
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const loadAtStart = loadavg()[0] ?? 0;
  progress(options.fromSource ? 'operator: src/main.ts' : 'operator: bundling dist/main.js');
  const build = options.fromSource ? sourceBuild() : await buildOperator();
  atExit(() => build.remove());
  progress('control plane: reusing `npm run dev:cluster` if it runs, else starting one');
  const cluster = await acquireCluster();
  atExit(() => cluster.stop());
  progress(
    `kube-apiserver ${cluster.info.version}, etcd ${cluster.info.etcdVersion}${cluster.reused ? ' (dev cluster)' : ''}`,
  );
  const apig = new BenchApig();
  await apig.start({ latencyMs: options.latencyMs });
  atExit(() => apig.close());

  const results: BenchResults = {
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    machine: {
      cpus: cpus().length,
      node: process.version,
      kubernetes: cluster.info.version,
      etcd: cluster.info.etcdVersion,
      loadAverage: { start: loadAtStart, end: 0 },
      reusedDevCluster: cluster.reused,
      operator: options.fromSource ? 'src/main.ts' : 'dist/main.js (the esbuild bundle)',
      environment: operatorEnvironment(options),
    },
    settings: {
      quick: options.quick,
      large: options.large,
      latencyMs: options.latencyMs,
      rateLimit: options.rateLimit,
      sizes: options.sizes,
      loadSize: options.loadSize,
      trials: options.trials,
      fillerSecrets: options.fillerSecrets,
      fillerBytes: options.fillerBytes,
      cgroupLimitBytes: options.cgroupLimitBytes,
    },
    setup: [],
    startup: [],
    rotations: [],
    singleChange: undefined,
    memory: undefined,
    drift: undefined,
    restart: undefined,
    cgroup: undefined,
    large: undefined,
    rssTraces: [],
    pacing: [],
    providers: undefined,
    errors: [],
  };
  const context = {
    apig,
    meter: new CpuMeter(await controlPlanePids(cluster.info.dir)),
    kubeconfig: cluster.info.kubeconfig,
    kube: cluster.kube,
    main: build.main,
    operatorEnv: operatorEnvironment(options),
  };
  const traced: Traced = [];
  // --pacing, --drift, --providers, --cgroup-only and --large-only each run
  // one part; no flag runs them all.
  const { pacingOnly, driftOnly, providersOnly, cgroupOnly, largeOnly } = options;
  const only = pacingOnly || driftOnly || providersOnly || cgroupOnly || largeOnly;
  if (!pacingOnly && !driftOnly && !providersOnly) {
    for (const n of options.sizes) await runFleet(options, results, context, n, traced);
    if (!largeOnly) await runCgroup(options, results, context, traced);
    if (options.large) await runLarge(options, results, context, traced);
  }
  if (!only || pacingOnly) {
    results.pacing = await pacingScenarios(options, context, progress, results.errors);
  }
  if (!only || driftOnly) {
    results.drift = await driftScenario(options, context, progress, results.errors);
  }
  if (!only || providersOnly) {
    results.providers = await providersScenario(
      options,
      context,
      operatorEnvironment(options),
      progress,
      results.errors,
    );
  }
  results.rssTraces = traced.map(({ label, operator }) => operator.trace(label));
  results.durationMs = Date.now() - started;
  results.machine.loadAverage.end = loadavg()[0] ?? 0;
  const verdicts = judge(results);
  const jsonPath =
    options.jsonPath ?? join(RESULTS_DIR, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify({ ...results, verdicts }, null, 2)}\n`);
  const chartPath = jsonPath.replace(/(\.json)?$/, '.svg');
  writeFileSync(chartPath, renderCharts(results));

  const { machine } = results;
  process.stdout.write(
    [
      '',
      formatVerdicts(verdicts),
      '',
      formatCpu(results),
      '',
      `${machine.cpus} CPUs, Node ${machine.node}, kube-apiserver ${machine.kubernetes}; load average ${machine.loadAverage.start.toFixed(1)} at start, ${machine.loadAverage.end.toFixed(1)} at end; ${sharedMachineNote(results)}`,
      `operator: ${machine.operator} with ${
        Object.entries(machine.environment)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || 'no environment of the image'
      }, RECONCILE_CONCURRENCY=${options.concurrency}, APIG_RATE_LIMIT=${options.unlimitedRate} when APIG is unlimited, ${options.rateLimit} (burst ${options.burst}) when APIG allows ${options.rateLimit}/s; APIG latency ${options.latencyMs} ms per call`,
      `whole run: ${(results.durationMs / 1000).toFixed(0)} s; JSON: ${relative(process.cwd(), jsonPath)}; chart: ${relative(process.cwd(), chartPath)}`,
      ...results.errors.map((e) => `ERROR in ${e.scenario}: ${e.message}`),
      '',
    ].join('\n'),
  );
  // A MISS is a measurement, shown in the table; only a run that could not measure fails.
  await exitAfterCleanup(results.errors.length > 0 ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  return exitAfterCleanup(1);
});

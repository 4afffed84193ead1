// `npm run bench`: issue 6's benchmark. The real operator (src/main.ts as a
// child process) against a real kube-apiserver and the APIG simulator with a
// latency on every call; prints a table of measurements next to the targets
// and writes the numbers as JSON for comparison between versions.
//
// Per fleet size N (a namespace of its own, WATCH_NAMESPACES set to it):
//   start-up (N unsynced) → [single change] → mass rotation, APIG unlimited →
//   [restart → memory] → mass rotation with APIG rate limit R
// The bracketed scenarios run at the load size (1000; 100 with --quick).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { BenchApig } from './apig.ts';
import { BenchOperator, killAllOperators, type OperatorSettings } from './bench-operator.ts';
import { acquireCluster } from './cluster.ts';
import { controlPlanePids, CpuMeter } from './cpu.ts';
import { Fleet } from './fleet.ts';
import { buildOperator, sourceBuild } from './operator-build.ts';
import { parseBenchOptions, USAGE, UsageError, type BenchOptions } from './options.ts';
import type { BenchResults } from './results.ts';
import {
  massRotation,
  memory,
  restart,
  singleChange,
  SETTLE_MS,
  startUp,
  type ScenarioContext,
} from './scenarios.ts';
import { formatCpu, formatVerdicts, sharedMachineNote } from './report.ts';
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

async function runFleet(
  options: BenchOptions,
  results: BenchResults,
  context: ScenarioContext & { kubeconfig: string; kube: Fleet['kube']; main: string },
  n: number,
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
    const unlimited: OperatorSettings = {
      main: context.main,
      apig,
      kubeconfig: context.kubeconfig,
      namespace: fleet.namespace,
      rateLimit: options.unlimitedRate,
      concurrency: options.concurrency,
      env: options.nodeOptions === undefined ? undefined : { NODE_OPTIONS: options.nodeOptions },
    };
    progress(`N=${n}: start-up, ${n} unsynced resources`);
    const first = await startUp(context, fleet, unlimited);
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
      results.restart = second.result;

      scenario = 'memory';
      progress(
        `N=${n}: memory, then ${options.fillerSecrets} unrelated Secrets of ${options.fillerBytes / 1024} KiB`,
      );
      results.memory = await memory(context, fleet, second.operator, {
        count: options.fillerSecrets,
        bytes: options.fillerBytes,
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

async function main(): Promise<void> {
  const options = readOptions();
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const loadAtStart = loadavg()[0] ?? 0;
  progress(options.fromSource ? 'operator: src/main.ts' : 'operator: building dist/main.js (tsc)');
  const build = options.fromSource ? sourceBuild() : await buildOperator();
  atExit(() => build.remove());
  if (build.warnings) progress(`tsc reported (the build is used anyway):\n${build.warnings}`);
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
      operator: options.fromSource ? 'src/main.ts' : 'dist/main.js (built by tsc)',
      nodeOptions: options.nodeOptions ?? '',
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
    },
    setup: [],
    startup: [],
    rotations: [],
    singleChange: undefined,
    memory: undefined,
    drift: undefined,
    restart: undefined,
    errors: [],
  };
  const context = {
    apig,
    meter: new CpuMeter(await controlPlanePids(cluster.info.dir)),
    kubeconfig: cluster.info.kubeconfig,
    kube: cluster.kube,
    main: build.main,
  };
  for (const n of options.sizes) await runFleet(options, results, context, n);

  results.drift = await driftScenario(options, context, progress, results.errors);
  results.durationMs = Date.now() - started;
  results.machine.loadAverage.end = loadavg()[0] ?? 0;
  const verdicts = judge(results);
  const jsonPath =
    options.jsonPath ?? join(RESULTS_DIR, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify({ ...results, verdicts }, null, 2)}\n`);

  const { machine } = results;
  process.stdout.write(
    [
      '',
      formatVerdicts(verdicts),
      '',
      formatCpu(results),
      '',
      `${machine.cpus} CPUs, Node ${machine.node}, kube-apiserver ${machine.kubernetes}; load average ${machine.loadAverage.start.toFixed(1)} at start, ${machine.loadAverage.end.toFixed(1)} at end; ${sharedMachineNote(results)}`,
      `operator: ${machine.operator}${options.nodeOptions ? ` with NODE_OPTIONS=${options.nodeOptions}` : ''}, RECONCILE_CONCURRENCY=${options.concurrency}, APIG_RATE_LIMIT=${options.unlimitedRate} when APIG is unlimited, ${options.rateLimit} (burst ${options.burst}) when APIG allows ${options.rateLimit}/s; APIG latency ${options.latencyMs} ms per call`,
      `whole run: ${(results.durationMs / 1000).toFixed(0)} s; JSON: ${relative(process.cwd(), jsonPath)}`,
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

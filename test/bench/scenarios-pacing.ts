// Issue 13's pacing scenarios: mass rotations against an APIG that limits
// (and, in one, answers slowly), each with its target. Per fleet size: one
// first sync with APIG unlimited, then per scenario APIG restarted with its
// limit and a fresh operator (which sends nothing: the digests match) before
// every Secret is rewritten at once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApigSettings } from './apig.ts';
import { BenchOperator, type OperatorSettings } from './bench-operator.ts';
import { Fleet } from './fleet.ts';
import type { BenchOptions } from './options.ts';
import type { RotationResult } from './results.ts';
import { massRotation, SETTLE_MS, startUp, type OperatorContext } from './scenarios.ts';
import type { Verdict } from './targets.ts';

/** APIG's limit in the scenario where it is below the operator's. */
export const APIG_BELOW_RATE = 20;
/** APIG's answer time in the slow-APIG scenario. */
export const SLOW_APIG_LATENCY_MS = 200;

export const PACING_TARGETS = {
  /** Client limit = APIG's: total time / (N/R). */
  equalLimitsRatio: 1.1,
  /** 429s at most this fraction of the PUTs. */
  throttledFraction: 0.01,
  /** APIG's limit below the client's: total time / (N/R_apig). */
  apigBelowRatio: 1.3,
  /** Slow APIG: the default concurrency must still reach R (total time / (N/R)). */
  slowApigRatio: 1.1,
} as const;

export type PacingScenario = 'equal limits' | 'APIG below the operator' | 'slow APIG';

export interface PacingResult {
  scenario: PacingScenario;
  apig: ApigSettings;
  /** The operator's APIG_RATE_LIMIT (burst 1). */
  operatorRate: number;
  /** RECONCILE_CONCURRENCY, or the operator's default. */
  concurrency: number | 'default';
  rotation: RotationResult;
}

interface Plan {
  scenario: PacingScenario;
  apig: ApigSettings;
  operatorRate: number;
  concurrency: number | undefined;
}

function plans(options: BenchOptions, n: number): Plan[] {
  const rate = options.rateLimit;
  const latencyMs = options.latencyMs;
  const all: Plan[] = [
    {
      scenario: 'equal limits',
      apig: { latencyMs, rateLimitPerSecond: rate },
      operatorRate: rate,
      concurrency: options.concurrency,
    },
    {
      scenario: 'APIG below the operator',
      apig: { latencyMs, rateLimitPerSecond: APIG_BELOW_RATE },
      operatorRate: rate,
      concurrency: options.concurrency,
    },
  ];
  if (n === options.loadSize) {
    all.push({
      scenario: 'slow APIG',
      apig: { latencyMs: SLOW_APIG_LATENCY_MS, rateLimitPerSecond: rate },
      operatorRate: rate,
      // What a user gets without setting RECONCILE_CONCURRENCY.
      concurrency: undefined,
    });
  }
  return all;
}

/** Every pacing scenario at every fleet size; a failed one is reported in `errors`. */
export async function pacingScenarios(
  options: BenchOptions,
  context: OperatorContext,
  progress: (text: string) => void,
  errors: { scenario: string; message: string }[],
): Promise<PacingResult[]> {
  const { apig } = context;
  const results: PacingResult[] = [];
  for (const n of options.sizes) {
    progress(`pacing N=${n}: creating the fleet and syncing it with APIG unlimited`);
    const { fleet } = await Fleet.create(context.kube, apig, n);
    const base: OperatorSettings = {
      main: context.main,
      apig,
      kubeconfig: context.kubeconfig,
      namespace: fleet.namespace,
      rateLimit: options.unlimitedRate,
      concurrency: options.concurrency,
      env: context.operatorEnv,
    };
    let current = 'first sync';
    try {
      await apig.start({ latencyMs: options.latencyMs });
      const first = await startUp(context, fleet, base);
      await first.operator.stop();
      for (const plan of plans(options, n)) {
        current = plan.scenario;
        const limit = plan.apig.rateLimitPerSecond;
        progress(
          `pacing N=${n}, ${plan.scenario}: APIG ${limit}/s, ${plan.apig.latencyMs} ms; operator ${plan.operatorRate}/s burst 1, concurrency ${plan.concurrency ?? 'default'}`,
        );
        await apig.start(plan.apig);
        const operator = BenchOperator.start({
          ...base,
          rateLimit: plan.operatorRate,
          burst: 1,
          concurrency: plan.concurrency,
        });
        try {
          await operator.waitForReconcileCount(n, 120_000 + n * 100);
          await sleep(SETTLE_MS);
          const rotation = await massRotation(context, fleet, operator);
          results.push({
            scenario: plan.scenario,
            apig: plan.apig,
            operatorRate: plan.operatorRate,
            concurrency: plan.concurrency ?? 'default',
            rotation,
          });
        } finally {
          await operator.stop();
        }
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ scenario: `pacing N=${n} ${current}`, message });
      progress(`pacing N=${n}: ${current} failed: ${message}`);
    } finally {
      await apig.start({ latencyMs: options.latencyMs });
      await fleet.remove();
    }
  }
  return results;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
/** The 429 share as the target counts it: of the PUTs that went through. */
const percentOf = (part: number, whole: number): string =>
  `${((part / Math.max(1, whole)) * 100).toFixed(1)} %`;

function targetsOf(result: PacingResult): { ratio: number; text: string; throttledOk: boolean } {
  const { rotation } = result;
  const allowed = Math.floor(rotation.puts * PACING_TARGETS.throttledFraction);
  switch (result.scenario) {
    case 'equal limits':
      return {
        ratio: PACING_TARGETS.equalLimitsRatio,
        text: `≤ ${PACING_TARGETS.equalLimitsRatio} × N/R; 429s ≤ 1 % of PUTs; PUTs = N`,
        throttledOk: rotation.throttled <= allowed,
      };
    case 'APIG below the operator':
      return {
        ratio: PACING_TARGETS.apigBelowRatio,
        text: `≤ ${PACING_TARGETS.apigBelowRatio} × N/R_apig; PUTs = N (429s: info)`,
        throttledOk: true,
      };
    case 'slow APIG':
      return {
        ratio: PACING_TARGETS.slowApigRatio,
        text: `≤ ${PACING_TARGETS.slowApigRatio} × N/R (concurrency does not cap R); PUTs = N`,
        throttledOk: rotation.throttled <= allowed,
      };
  }
}

export function pacingVerdicts(results: readonly PacingResult[]): Verdict[] {
  return results.map((result) => {
    const { rotation, apig } = result;
    const ratio = rotation.ratio ?? Number.NaN;
    const target = targetsOf(result);
    const throughput = (rotation.n / rotation.totalMs) * 1000;
    const ok = ratio <= target.ratio && target.throttledOk && rotation.puts === rotation.n;
    return {
      scenario: `Pacing N=${rotation.n}, ${result.scenario}: APIG ${apig.rateLimitPerSecond}/s ${apig.latencyMs} ms, operator ${result.operatorRate}/s, concurrency ${result.concurrency}`,
      measured: `N=${rotation.n}: ${seconds(rotation.totalMs)} = ${ratio.toFixed(2)} × N/R${result.scenario === 'APIG below the operator' ? '_apig' : ''} (${seconds(rotation.idealMs ?? Number.NaN)}); 429s ${rotation.throttled} = ${percentOf(rotation.throttled, rotation.puts)} of PUTs (${rotation.attempts} attempts); PUTs ${rotation.puts}/${rotation.n}; ${throughput.toFixed(1)} PUTs/s; p99 ${Math.round(rotation.latency.p99)} ms`,
      target: target.text,
      outcome: ok ? 'PASS' : 'MISS',
    };
  });
}

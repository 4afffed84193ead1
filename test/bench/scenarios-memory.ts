// The memory measurements: RSS with the fleet idle and after unrelated
// Secrets arrive, and the whole run inside a memory cgroup.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchOperator, MemorySample, OperatorSettings } from './bench-operator.ts';
import { MemoryCgroup } from './cgroup.ts';
import { isKubeApiError } from '../../src/kube/kube-client.ts';
import { createSecret, deleteSecrets } from './cluster.ts';
import { API_CONCURRENCY, type Fleet } from './fleet.ts';
import { forEachLimited } from './pool.ts';
import type { CgroupRunResult, MemoryResult } from './results.ts';
import { RSS_SAMPLE_MS } from './rss-sampler.ts';
import { applied, massRotation, restart, startUp, type ScenarioContext } from './scenarios.ts';
import { median } from './stats.ts';

const FILLER_LABEL = 'bench.apig.certsync.io/filler';
/** The annotation `kubectl apply` writes: the whole applied object, data included. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MEMORY_SAMPLES = 5;
const GC_SAMPLES = 3;
const STEADY_WINDOW_MS = 5_000;

export interface Fillers {
  count: number;
  bytes: number;
  /** Every `appliedEvery`-th Secret is written as `kubectl apply` writes it. */
  appliedEvery: number;
}

/** Opaque Secrets of random data in the fleet's namespace; returns how many carry LAST_APPLIED. */
export async function addFillers(fleet: Fleet, fillers: Fillers): Promise<number> {
  const indexes = Array.from({ length: fillers.count }, (_, i) => i);
  let appliedCount = 0;
  await forEachLimited(indexes, API_CONCURRENCY, async (index) => {
    const name = `filler-${index}`;
    const labels = { [FILLER_LABEL]: 'true' };
    const data = { blob: randomBytes(fillers.bytes).toString('base64') };
    const asApplied = index % fillers.appliedEvery === 0;
    if (asApplied) appliedCount++;
    const lastApplied = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: fleet.namespace, labels },
      type: 'Opaque',
      data,
    });
    const secret = {
      name,
      type: 'Opaque',
      labels,
      annotations: asApplied ? { [LAST_APPLIED]: `${lastApplied}\n` } : undefined,
      data,
    };
    await withRetries(async () => {
      try {
        await createSecret(fleet.kube, fleet.namespace, secret);
      } catch (error) {
        // An earlier attempt that lost its answer may have created it.
        if (!isKubeApiError(error, 409)) throw error;
      }
    });
  });
  return appliedCount;
}

export function removeFillers(fleet: Fleet): Promise<void> {
  return withRetries(() => deleteSecrets(fleet.kube, fleet.namespace, `${FILLER_LABEL}=true`));
}

/**
 * 320 MiB of Secrets load a 2-core API server: an HTTP/2 stream may be reset
 * ("terminated") or time out (504). Those are the machine, not the operator.
 */
async function withRetries(action: () => Promise<void>, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await action();
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(1_000 * attempt);
    }
  }
}

/** Unforced samples a second apart: what a scraper would see. */
async function sampleMemory(operator: BenchOperator): Promise<MemorySample[]> {
  const samples: MemorySample[] = [];
  for (let i = 0; i < MEMORY_SAMPLES; i++) {
    if (i > 0) await sleep(1_000);
    samples.push(await operator.memory());
  }
  return samples;
}

/** After a full GC through the inspector: live data only, the comparable number. */
async function sampleAfterGc(operator: BenchOperator): Promise<MemorySample[]> {
  const samples: MemorySample[] = [];
  for (let i = 0; i < GC_SAMPLES; i++) {
    await operator.collectGarbage();
    await sleep(500);
    samples.push(await operator.memory());
  }
  return samples;
}

function medianSample(samples: readonly MemorySample[]): MemorySample {
  return {
    rssBytes: median(samples.map((s) => s.rssBytes)),
    heapUsedBytes: median(samples.map((s) => s.heapUsedBytes)),
  };
}

/** The 100 ms RSS samples over the next STEADY_WINDOW_MS. */
async function steadyRss(operator: BenchOperator): Promise<MemoryResult['steady']> {
  const from = Date.now();
  await sleep(STEADY_WINDOW_MS + RSS_SAMPLE_MS);
  const rss = operator.rss.between(from).map((s) => s.rssBytes);
  if (rss.length === 0) throw new Error('no RSS sample while the operator was idle');
  return { medianBytes: median(rss), maxBytes: Math.max(...rss) };
}

/**
 * Scenario 3: RSS and heap with the fleet synced (unforced every 100 ms, then
 * after full GCs), then after adding unrelated Secrets in the watched
 * namespace. The fillers are deleted afterwards.
 */
export async function memory(
  { apig, meter }: ScenarioContext,
  fleet: Fleet,
  operator: BenchOperator,
  fillers: Fillers,
): Promise<MemoryResult> {
  const idle = { timeoutMs: 120_000 };
  await operator.waitUntilIdle(idle);
  const steady = await steadyRss(operator);
  const before = await sampleMemory(operator);
  const beforeGc = await sampleAfterGc(operator);
  const cpu = await meter.start(operator.pid);
  const fillStart = Date.now();
  const appliedFillers = await addFillers(fleet, fillers);
  const fillMs = Date.now() - fillStart;
  await operator.waitUntilIdle(idle);
  const used = await cpu(operator.pid);
  const after = await sampleMemory(operator);
  const afterGc = await sampleAfterGc(operator);
  const puts = applied(apig.putsSince(fillStart));
  const peakRssBytes = await operator.peakRssBytes();
  await removeFillers(fleet);
  return {
    resources: fleet.size,
    fillerSecrets: fillers.count,
    fillerBytes: fillers.bytes,
    before: medianSample(beforeGc),
    after: medianSample(afterGc),
    unforced: { before: medianSample(before), after: medianSample(after) },
    samples: { before, beforeGc, after, afterGc },
    steady,
    appliedFillers,
    fillMs,
    puts,
    peakRssBytes,
    cpu: used,
  };
}

/**
 * The whole run inside a memory cgroup of `limitBytes`: first sync of the
 * fleet, an APIG-unlimited rotation, the unrelated Secrets, a restart (the
 * new process in the same group, so the group's peak covers both). Returns
 * what got done and the kernel's counters; an OOM kill ends it early.
 */
export async function cgroupRun(
  context: ScenarioContext,
  fleet: Fleet,
  settings: OperatorSettings,
  options: {
    limitBytes: number;
    fillers: Fillers;
    onTrace: (label: string, operator: BenchOperator) => void;
  },
): Promise<CgroupRunResult> {
  const group = await MemoryCgroup.create(
    `apig-cert-operator-bench-${process.pid}-${Date.now()}`,
    options.limitBytes,
  );
  const result: CgroupRunResult = {
    limitBytes: options.limitBytes,
    resources: fleet.size,
    fillerSecrets: options.fillers.count,
    appliedFillers: 0,
    completed: false,
    failure: undefined,
    counters: undefined,
    startup: undefined,
    rotation: undefined,
    restart: undefined,
    fillPuts: 0,
  };
  const inGroup = { ...settings, cgroup: group };
  let operator: BenchOperator | undefined;
  try {
    const first = await startUp(context, fleet, inGroup, (started) => {
      operator = started;
      options.onTrace('first sync, rotation, unrelated Secrets', started);
    });
    result.startup = first.result;
    result.rotation = await massRotation(context, fleet, first.operator);
    const fillStart = Date.now();
    result.appliedFillers = await addFillers(fleet, options.fillers);
    await first.operator.waitUntilIdle({ timeoutMs: 120_000 });
    result.fillPuts = applied(context.apig.putsSince(fillStart));
    const second = await restart(context, fleet, first.operator, inGroup);
    operator = second.operator;
    options.onTrace('restart', operator);
    result.restart = second.result;
    await operator.waitUntilIdle({ timeoutMs: 120_000 });
    result.completed = true;
  } catch (error) {
    result.failure = error instanceof Error ? error.message : String(error);
  } finally {
    result.counters = await group.counters();
    // An OOM-killed operator has already exited; stop() then only reports how.
    await operator?.stop().catch(() => undefined);
    // The API server may still be busy with the fillers; a failed clean-up
    // must not hide the measurement (the fleet's namespace goes anyway).
    await removeFillers(fleet).catch(() => undefined);
    await group.remove();
  }
  return result;
}

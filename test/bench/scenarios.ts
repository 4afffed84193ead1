// The measurements. Each takes a fleet and a running operator and returns
// numbers; none asserts: targets are judged in targets.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import type { IssuedCertificate } from '../support/certs.ts';
import { decimalSerial, type BenchApig, type PutRecord } from './apig.ts';
import { BenchOperator, type OperatorSettings } from './bench-operator.ts';
import type { CpuMeter } from './cpu.ts';
import { API_CONCURRENCY, type Fleet, type FleetMember } from './fleet.ts';
import { forEachLimited } from './pool.ts';
import type {
  OperatorConfigUsed,
  RestartResult,
  RotationResult,
  SingleChangeResult,
  StartupResult,
} from './results.ts';
import { summarize } from './stats.ts';

/** After the last expected PUT, how long to keep counting (a duplicate would show here). */
export const SETTLE_MS = 2_000;
/** main.ts's log line when this replica starts leading (and reconciling). */
const BECAME_LEADER = 'became leader';

export interface ScenarioContext {
  apig: BenchApig;
  meter: CpuMeter;
}

/** What a scenario needs to start operators of its own. */
export interface OperatorContext extends ScenarioContext {
  kubeconfig: string;
  kube: Fleet['kube'];
  main: string;
  /** The operator's environment as the image sets it (unless --bare; --node-options applied). */
  operatorEnv: Record<string, string>;
}

export const applied = (puts: readonly PutRecord[]): number => puts.filter((p) => p.applied).length;
const latest = (times: Iterable<number>): number => Math.max(...times);
const earliest = (times: Iterable<number>): number => Math.min(...times);

function configUsed(settings: OperatorSettings): OperatorConfigUsed {
  return {
    apigRateLimit: settings.rateLimit,
    apigRateBurst: settings.burst ?? 'default',
    reconcileConcurrency: settings.concurrency ?? 'default',
  };
}

/**
 * Resolves with the time of the PUT that stored each expected serial
 * (certificateId → decimal serial), listening from now on.
 */
function awaitPuts(
  apig: BenchApig,
  expected: ReadonlyMap<string, string>,
  timeoutMs: number,
): Promise<Map<string, number>> {
  const done = new Map<string, number>();
  const promise = new Promise<Map<string, number>>((resolve, reject) => {
    let unsubscribe = (): void => undefined;
    const timer = setTimeout(() => {
      unsubscribe();
      reject(
        new Error(
          `APIG received ${done.size} of ${expected.size} new certificates in ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    unsubscribe = apig.onPut((put) => {
      if (!put.applied || done.has(put.certificateId)) return;
      if (expected.get(put.certificateId) !== put.serial) return;
      done.set(put.certificateId, put.at);
      if (done.size === expected.size) {
        clearTimeout(timer);
        unsubscribe();
        resolve(done);
      }
    });
  });
  // If the caller fails before awaiting (a Secret write refused), the timeout
  // must not surface later as an unhandled rejection.
  promise.catch(() => undefined);
  return promise;
}

function expectedSerials(
  members: readonly FleetMember[],
  certificates: readonly IssuedCertificate[],
): Map<string, string> {
  return new Map(
    members.map((m, i) => [m.certificateId, decimalSerial(certificates[i]!.serialNumber)]),
  );
}

/** What main.ts logs at start: the time to load every module, and RSS then. */
function loadFigures(operator: BenchOperator): {
  modulesLoadedMs: number | undefined;
  rssAtLoadBytes: number | undefined;
} {
  const line = operator.logs.find((l) => l.msg === 'starting apig-cert-operator');
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  return {
    modulesLoadedMs: number(line?.modulesLoadedMs),
    rssAtLoadBytes: number(line?.rssAtLoadBytes),
  };
}

/** Scenario 5: a fresh operator with N resources never synced: process start to all Ready. */
export async function startUp(
  { apig, meter }: ScenarioContext,
  fleet: Fleet,
  settings: OperatorSettings,
  onStarted?: (operator: BenchOperator) => void,
): Promise<{ operator: BenchOperator; result: StartupResult }> {
  const cpu = await meter.start();
  const operator = BenchOperator.start(settings);
  onStarted?.(operator);
  // 'reconciled' with result 'synced' is logged (info) after the status write.
  const ready = await operator.waitForReconciled({
    from: 0,
    resources: fleet.keys,
    accept: (result) => result === 'synced',
    timeoutMs: 120_000 + fleet.size * 200,
  });
  const used = await cpu(operator.pid);
  await sleep(SETTLE_MS);
  return {
    operator,
    result: {
      resources: fleet.size,
      toAllReadyMs: latest(ready.values()) - operator.startedAt,
      toFirstReadyMs: earliest(ready.values()) - operator.startedAt,
      toLeaderMs: operator.sinceStart(BECAME_LEADER),
      ...loadFigures(operator),
      puts: applied(apig.putsSince(operator.startedAt)),
      cpu: used,
      config: configUsed(settings),
    },
  };
}

/** Scenario 1: every Secret rewritten at once; until APIG holds every new certificate. */
export async function massRotation(
  { apig, meter }: ScenarioContext,
  fleet: Fleet,
  operator: BenchOperator,
): Promise<RotationResult> {
  const { members } = fleet;
  const certificates = await fleet.issue(members);
  const rate = apig.settings.rateLimitPerSecond;
  const idealMs = rate === undefined ? undefined : (fleet.size / rate) * 1000;
  const expected = expectedSerials(members, certificates);
  const stored = awaitPuts(apig, expected, 120_000 + 5 * (idealMs ?? fleet.size * 20));
  const writtenAt = new Map<string, number>();
  const cpu = await meter.start(operator.pid);
  const firstWrite = Date.now();
  await forEachLimited(members, API_CONCURRENCY, async (member, index) => {
    writtenAt.set(member.certificateId, Date.now());
    await fleet.writeSecret(member, certificates[index]!);
  });
  const writesMs = Date.now() - firstWrite;
  const putAt = await stored;
  const used = await cpu(operator.pid);
  const peakRssBytes = await operator.peakRssBytes();
  const lastPut = latest(putAt.values());
  await sleep(SETTLE_MS);
  const window = apig.putsSince(firstWrite);
  const totalMs = lastPut - firstWrite;
  const latenciesMs = members.map(
    (m) => putAt.get(m.certificateId)! - writtenAt.get(m.certificateId)!,
  );
  return {
    n: fleet.size,
    rateLimit: rate,
    totalMs,
    writesMs,
    latency: summarize(latenciesMs),
    latenciesMs,
    puts: applied(window),
    attempts: window.length,
    throttled: window.filter((p) => p.status === 429).length,
    idealMs,
    ratio: idealMs === undefined ? undefined : totalMs / idealMs,
    cpu: used,
    peakRssBytes,
    config: configUsed(operator.settings),
  };
}

/** Scenario 2: one Secret at a time while the rest of the fleet is idle. */
export async function singleChange(
  { apig }: ScenarioContext,
  fleet: Fleet,
  trials: number,
): Promise<SingleChangeResult> {
  const picked = [...fleet.members]
    .map((member) => ({ member, order: Math.random() }))
    .sort((a, b) => a.order - b.order)
    .slice(0, trials)
    .map(({ member }) => member);
  const certificates = await fleet.issue(picked);
  const latencies: number[] = [];
  const start = Date.now();
  for (const [index, member] of picked.entries()) {
    // Spaced out so each change meets an idle operator, as a renewal would.
    await sleep(100 + Math.random() * 200);
    const certificate = certificates[index]!;
    const stored = awaitPuts(
      apig,
      new Map([[member.certificateId, decimalSerial(certificate.serialNumber)]]),
      30_000,
    );
    const writtenAt = Date.now();
    await fleet.writeSecret(member, certificate);
    const putAt = await stored;
    latencies.push(putAt.get(member.certificateId)! - writtenAt);
  }
  await sleep(SETTLE_MS);
  return {
    resources: fleet.size,
    trials,
    latency: summarize(latencies),
    latenciesMs: latencies,
    puts: applied(apig.putsSince(start)),
  };
}

/**
 * Scenario 4: SIGTERM the operator, start a new one: until every resource is
 * reconciled. 'unchanged' is logged at debug only, so completion is read
 * from the reconcile counter on /metrics (polled every 100 ms).
 */
export async function restart(
  { apig, meter }: ScenarioContext,
  fleet: Fleet,
  operator: BenchOperator,
  settings: OperatorSettings = operator.settings,
): Promise<{ operator: BenchOperator; result: RestartResult }> {
  const stopMs = await operator.stop();
  const cpu = await meter.start();
  const next = BenchOperator.start(settings);
  const { at, byResult } = await next.waitForReconcileCount(fleet.size, 120_000 + fleet.size * 100);
  const used = await cpu(next.pid);
  await sleep(SETTLE_MS);
  return {
    operator: next,
    result: {
      resources: fleet.size,
      stopMs,
      toAllReconciledMs: at - next.startedAt,
      toLeaderMs: next.sinceStart(BECAME_LEADER),
      notUnchanged: [...byResult]
        .filter(([result]) => result !== 'unchanged')
        .reduce((sum, [, n]) => sum + n, 0),
      puts: applied(apig.putsSince(next.startedAt)),
      cpu: used,
    },
  };
}

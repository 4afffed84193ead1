// Issue 12's drift scenario: N resources in sync with drift checks on at a
// short interval and APIG limited to the operator's own rate. Over several
// intervals with nothing drifted: how many APIG requests the read-backs cost,
// the busiest second against the limit, 429s, writes (must be none), and
// whether every resource was read back about once per interval; and one
// certificate replaced in the console halfway, which must be put back.
import { setTimeout as sleep } from 'node:timers/promises';
import { APIG_CERTIFICATE_RESOURCE, type ApigCertificateResource } from '../../src/api/v1alpha1.ts';
import { collectionPath } from '../../src/kube/resources.ts';
import type { RequestLogEntry } from '../support/apig-simulator/index.ts';
import { BenchOperator } from './bench-operator.ts';
import { Fleet } from './fleet.ts';
import type { BenchOptions } from './options.ts';
import { SETTLE_MS, type OperatorContext } from './scenarios.ts';
import { summarize, type Summary } from './stats.ts';
import type { Verdict } from './targets.ts';

/** DRIFT_CHECK_INTERVAL in the scenario: N / interval must stay below the rate limit. */
export const DRIFT_INTERVAL_MS = 30_000;
/** Full intervals measured. */
export const DRIFT_INTERVALS = 3;
/** The operator's default DRIFT_CHECK_INTERVAL, for the per-day figure. */
const DEFAULT_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Checks fall at last + interval × [0.75, 1.25) (drift.ts); the longest a resource may wait. */
const LONGEST_PERIOD = 1.25;
/** A check may queue behind others for the rate limit: this much late is still on time. */
const QUEUE_SLACK_MS = 2_000;
const WRITE_SAMPLES = 5;

export interface DriftResult {
  resources: number;
  intervalMs: number;
  /** The measured window (after every resource was synced). */
  windowMs: number;
  /** APIG's limit, the operator's APIG_RATE_LIMIT and APIG_RATE_BURST. */
  rateLimit: number;
  burst: number;
  /** Requests APIG answered in the window, by what they were. */
  certificateGets: number;
  attachedDomainGets: number;
  otherReads: number;
  writes: number;
  /** The first few writes, "METHOD path status", to tell what they were. */
  writeSamples: string[];
  throttled: number;
  requestsPerSecond: number;
  /** The most requests in any 1 s window (sliding). */
  maxInOneSecond: number;
  /** Certificate GETs per resource in the window. */
  checksPerResource: Summary;
  /** Resources with no certificate GET in the window. */
  unchecked: number;
  /** The longest time between two checks of one resource. */
  longestGapMs: number;
  /** At the end: now − status.lastDriftCheckTime, over resources; missing: none recorded. */
  lastCheckAge: Summary;
  lastCheckMissing: number;
  /** Steady state at the default 1 h interval: APIG calls per resource per day, as measured. */
  callsPerResourcePerDay: number;
  /** One certificate replaced in the console halfway through the window. */
  consoleEdit: ConsoleEditResult;
}

export interface ConsoleEditResult {
  /** Edit to the PUT that put the Secret's certificate back; undefined: not in time. */
  correctedMs: number | undefined;
  /** Writes for that certificate in the window (one expected). */
  puts: number;
}

/** The drift scenario at the load size; undefined (and an entry in `errors`) if it failed. */
export async function driftScenario(
  options: BenchOptions,
  context: OperatorContext,
  progress: (text: string) => void,
  errors: { scenario: string; message: string }[],
): Promise<DriftResult | undefined> {
  const { apig } = context;
  const n = options.loadSize;
  const rate = options.rateLimit;
  progress(`drift N=${n}: creating the fleet`);
  const { fleet } = await Fleet.create(context.kube, apig, n);
  // One simulator for the whole scenario: a restart would seed the certificates
  // again with other content, which the read-backs would rightly call drift.
  await apig.start({ latencyMs: options.latencyMs, rateLimitPerSecond: rate });
  const operator = BenchOperator.start({
    main: context.main,
    apig,
    kubeconfig: context.kubeconfig,
    namespace: fleet.namespace,
    rateLimit: rate,
    burst: options.burst,
    concurrency: options.concurrency,
    env: { ...context.operatorEnv, DRIFT_CHECK_INTERVAL: `${DRIFT_INTERVAL_MS / 1000}s` },
  });
  try {
    progress(
      `drift N=${n}: first sync at ${rate}/s, DRIFT_CHECK_INTERVAL ${DRIFT_INTERVAL_MS / 1000}s`,
    );
    await everySynced(apig, operator.startedAt, n, 120_000 + n * 100);
    await sleep(SETTLE_MS);
    const windowMs = DRIFT_INTERVAL_MS * DRIFT_INTERVALS;
    progress(`drift N=${n}: measuring ${DRIFT_INTERVALS} intervals (${windowMs / 1000} s)`);
    const from = Date.now();
    await sleep(windowMs / 2);
    const edited = fleet.members[0]!;
    progress(`drift N=${n}: replacing ${edited.certificateId} in the console`);
    const correction = await editInConsole(apig, fleet, edited, operator.startedAt);
    await sleep(Math.max(0, from + windowMs - Date.now()));
    const to = Date.now();
    const inWindow = (await apig.requests()).filter(
      (r) => r.time.getTime() >= from && r.time.getTime() < to,
    );
    const statuses = await listStatuses(context.kube, fleet.namespace);
    return measure({
      n,
      rate,
      burst: options.burst,
      from,
      to,
      requests: inWindow,
      statuses,
      fleet,
      edited: edited.certificateId,
      correctedMs: await correction.corrected,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    errors.push({ scenario: `drift N=${n}`, message });
    progress(`drift N=${n} failed: ${message}`);
    return undefined;
  } finally {
    await operator.stop();
    await apig.start({ latencyMs: options.latencyMs });
    await fleet.remove();
  }
}

/**
 * Replaces one certificate in the console; `corrected` resolves with the time
 * until APIG held the Secret's certificate again (undefined: not within 1.25
 * intervals and the slack).
 */
async function editInConsole(
  apig: OperatorContext['apig'],
  fleet: Fleet,
  member: Fleet['members'][number],
  since: number,
): Promise<{ corrected: Promise<number | undefined> }> {
  const held = apig
    .putsSince(since)
    .filter((put) => put.applied && put.certificateId === member.certificateId)
    .at(-1)?.serial;
  const [other] = await fleet.issue([member]);
  const editedAt = Date.now();
  await apig.consoleEdit(member.certificateId, {
    certContent: other!.chainPem,
    privateKey: other!.keyPem,
  });
  const deadline = editedAt + DRIFT_INTERVAL_MS * LONGEST_PERIOD + QUEUE_SLACK_MS;
  const corrected = (async (): Promise<number | undefined> => {
    for (;;) {
      const back = apig
        .putsSince(editedAt)
        .find((put) => put.certificateId === member.certificateId && put.serial === held);
      if (back) return back.at - editedAt;
      if (Date.now() > deadline) return undefined;
      await sleep(100);
    }
  })();
  return { corrected };
}

/**
 * Until APIG holds every member's certificate: a reconcile count would also
 * count a first PUT answered 429, whose retry would then fall in the window.
 */
async function everySynced(
  apig: OperatorContext['apig'],
  since: number,
  n: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = new Set(
      apig
        .putsSince(since)
        .filter((put) => put.applied)
        .map((put) => put.certificateId),
    );
    if (stored.size >= n) return;
    if (Date.now() > deadline) {
      throw new Error(`APIG holds ${stored.size} of ${n} certificates after ${timeoutMs} ms`);
    }
    await sleep(200);
  }
}

async function listStatuses(
  kube: Fleet['kube'],
  namespace: string,
): Promise<ApigCertificateResource[]> {
  const list = await kube.json<{ items: ApigCertificateResource[] }>({
    method: 'GET',
    path: collectionPath(APIG_CERTIFICATE_RESOURCE, namespace),
  });
  return list.items;
}

const isAttachedDomains = (r: RequestLogEntry) => r.path.endsWith('/attached-domains');
const isCertificateGet = (r: RequestLogEntry) =>
  r.method === 'GET' && r.certificateId !== undefined && !isAttachedDomains(r);

/** The most entries whose times fall in any window of `spanMs`. */
export function busiestWindow(times: readonly number[], spanMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= spanMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

function measure(input: {
  n: number;
  rate: number;
  burst: number;
  from: number;
  to: number;
  requests: readonly RequestLogEntry[];
  statuses: readonly ApigCertificateResource[];
  fleet: Fleet;
  edited: string;
  correctedMs: number | undefined;
}): DriftResult {
  const { requests, fleet, statuses, to } = input;
  const windowMs = to - input.from;
  const gets = requests.filter((r) => r.method === 'GET');
  // The edited certificate's correction is judged on its own.
  const allWrites = requests.filter((r) => r.method !== 'GET');
  const writes = allWrites.filter((r) => r.certificateId !== input.edited);
  const certificateGets = gets.filter(isCertificateGet);
  const attachedDomainGets = gets.filter(isAttachedDomains).length;
  const checks = new Map<string, number[]>(fleet.members.map((m) => [m.certificateId, []]));
  for (const get of certificateGets) checks.get(get.certificateId!)?.push(get.time.getTime());
  let longestGapMs = 0;
  for (const times of checks.values()) {
    for (let i = 1; i < times.length; i++) {
      longestGapMs = Math.max(longestGapMs, times[i]! - times[i - 1]!);
    }
  }
  const counts = [...checks.values()].map((times) => times.length);
  const ages = statuses
    .map((s) => s.status?.lastDriftCheckTime)
    .filter((t): t is string => t !== undefined)
    .map((t) => to - Date.parse(t));
  // Per check, the calls it took (1 GET, or 2 with domains); per resource and
  // interval, the checks measured: both carried over to the default interval.
  const callsPerCheck =
    (certificateGets.length + attachedDomainGets) / Math.max(1, certificateGets.length);
  const checksPerInterval = certificateGets.length / input.n / (windowMs / DRIFT_INTERVAL_MS);
  return {
    resources: input.n,
    intervalMs: DRIFT_INTERVAL_MS,
    windowMs,
    rateLimit: input.rate,
    burst: input.burst,
    certificateGets: certificateGets.length,
    attachedDomainGets,
    otherReads: gets.length - certificateGets.length - attachedDomainGets,
    writes: writes.length,
    writeSamples: writes.slice(0, WRITE_SAMPLES).map((r) => `${r.method} ${r.path} ${r.status}`),
    throttled: requests.filter((r) => r.status === 429).length,
    requestsPerSecond: (requests.length / windowMs) * 1000,
    maxInOneSecond: busiestWindow(
      requests.map((r) => r.time.getTime()),
      1_000,
    ),
    checksPerResource: summarize(counts),
    unchecked: counts.filter((c) => c === 0).length,
    longestGapMs,
    lastCheckAge: summarize(ages),
    lastCheckMissing: input.n - ages.length,
    consoleEdit: { correctedMs: input.correctedMs, puts: allWrites.length - writes.length },
    callsPerResourcePerDay: (DAY_MS / DEFAULT_INTERVAL_MS) * checksPerInterval * callsPerCheck,
  };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function driftVerdicts(result: DriftResult | undefined): Verdict[] {
  if (!result) return [];
  const { resources: n, rateLimit, intervalMs, checksPerResource: per, lastCheckAge: age } = result;
  const onTime = intervalMs * LONGEST_PERIOD + QUEUE_SLACK_MS;
  const label = `Drift checks N=${n}, every ${seconds(intervalMs)}, APIG and operator ${rateLimit}/s`;
  return [
    {
      scenario: `${label}: rate`,
      measured: `${result.requestsPerSecond.toFixed(1)} req/s over ${seconds(result.windowMs)} (${result.certificateGets} certificate GETs, ${result.attachedDomainGets} attached-domains GETs, ${result.otherReads} other reads); busiest second ${result.maxInOneSecond}; 429s ${result.throttled}`,
      target: `busiest second ≤ ${rateLimit}; 429s 0`,
      outcome: result.maxInOneSecond <= rateLimit && result.throttled === 0 ? 'PASS' : 'MISS',
    },
    {
      scenario: `${label}: writes with nothing drifted (but the edited one)`,
      measured: [String(result.writes), ...result.writeSamples].join('; '),
      target: '0',
      outcome: result.writes === 0 ? 'PASS' : 'MISS',
    },
    {
      scenario: `${label}: every resource read back`,
      measured: `checks per resource min ${per.min}, p50 ${per.p50}, max ${per.max}; unchecked ${result.unchecked}; longest gap ${seconds(result.longestGapMs)}; lastDriftCheckTime age p50 ${seconds(age.p50)}, max ${seconds(age.max)}, missing ${result.lastCheckMissing}`,
      target: `none unchecked; gap and age ≤ ${seconds(onTime)} (1.25 × interval + queueing)`,
      outcome:
        result.unchecked === 0 &&
        result.lastCheckMissing === 0 &&
        result.longestGapMs <= onTime &&
        age.max <= onTime
          ? 'PASS'
          : 'MISS',
    },
    {
      scenario: `${label}: one certificate edited in the console`,
      measured:
        result.consoleEdit.correctedMs === undefined
          ? `not corrected in time; PUTs ${result.consoleEdit.puts}`
          : `put back after ${seconds(result.consoleEdit.correctedMs)}; PUTs ${result.consoleEdit.puts}`,
      target: `put back within ${seconds(onTime)} with 1 PUT`,
      outcome:
        result.consoleEdit.correctedMs !== undefined && result.consoleEdit.puts === 1
          ? 'PASS'
          : 'MISS',
    },
    {
      scenario: 'Drift checks, steady state at the default 1 h',
      measured: `${result.callsPerResourcePerDay.toFixed(1)} APIG calls per resource per day (a resource with domains adds one attached-domains GET per check)`,
      target: '(information)',
      outcome: 'info',
    },
  ];
}

// A model of the providers bench scenario on the fake clock: 10 providers ×
// 100 keys, each provider's APIG reached through its own real Pacer at 10/s
// (burst 1, as the bench's ApigProviders), 16 workers, 5-20 ms of latency per
// call. One APIG call per key, so the pacers alone bound the time: N / R_total
// when the workers are spread over the providers. The same model runs the
// queue without fairness, to show the model tells the two apart.
import { ApigThrottledError } from '../../../src/apig/errors.ts';
import { Pacer } from '../../../src/apig/pacer.ts';
import { runWorkers, WorkQueue } from '../../../src/kube/work-queue.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { seededRandom } from '../../support/seeded-random.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const PROVIDERS = 10;
const KEYS_PER_PROVIDER = 100;
const RATE = 10;
const WORKERS = 16;
/** The bound the fair queue must meet, as a multiple of N / R. */
const BOUND = 1.15;
/** Simulated time after which a run is given up. */
const GIVE_UP_MS = 400_000;

interface ProviderModel {
  /** Requests per second of its pacer (and of its APIG). */
  rate: number;
  /** Its first call is answered 429 with this Retry-After, which holds every call of the provider. */
  retryAfterMs?: number;
}

const providerOf = (index: number): string => `bench-prov-${index}`;
const keyOf = (provider: number, resource: number): string =>
  `${providerOf(provider)}/app-${resource}`;
/** The controller's group: the provider label `<namespace>/<name>`; here one provider per namespace. */
const groupOf = (key: string): string => `${key.split('/')[0]}/apig`;

/** Keys in the order they are added, and how: all before the workers start, or one per ms. */
interface Arrivals {
  order: string[];
  gapMs: number;
}

/** The leader's first pass: every resource in list order (by namespace: one provider after the other). */
const FIRST_SYNC: Arrivals = {
  order: Array.from({ length: PROVIDERS }, (_, p) =>
    Array.from({ length: KEYS_PER_PROVIDER }, (_, i) => keyOf(p, i)),
  ).flat(),
  gapMs: 0,
};

/** A mass rotation's Secret events, 1000 a second, as the bench writes them: round-robin over the tenants. */
const ROTATION: Arrivals = {
  order: Array.from({ length: KEYS_PER_PROVIDER }, (_, i) =>
    Array.from({ length: PROVIDERS }, (_, p) => keyOf(p, i)),
  ).flat(),
  gapMs: 1,
};

/**
 * Runs every key of `arrivals` through the queue and returns the simulated
 * time from the first add until the last key of `measured` (the providers
 * whose indexes it lists) was handled, or Infinity if that took past GIVE_UP_MS.
 */
async function simulate(fair: boolean, { providers, arrivals, measured }: Case): Promise<number> {
  const clock = new FakeClock(T0);
  const random = seededRandom(11);
  const queue = new WorkQueue({
    clock,
    random,
    ...(fair ? { fairness: { groupOf, workers: WORKERS } } : {}),
  });
  const pacers = new Map(
    providers.map((model, p) => [
      `${providerOf(p)}/apig`,
      { model, pacer: new Pacer({ requestsPerSecond: model.rate, burst: 1 }, clock), calls: 0 },
    ]),
  );
  const handledAt = new Map<string, number>();
  const { order, gapMs } = arrivals;
  if (gapMs === 0) for (const key of order) queue.add(key);
  else order.forEach((key, i) => clock.setTimeout(() => queue.add(key), i * gapMs));
  const running = runWorkers(queue, WORKERS, async (key, signal) => {
    const provider = pacers.get(groupOf(key))!;
    await provider.pacer.run(async () => {
      await provider.pacer.acquire(signal);
      await clock.sleep(5 + 15 * random(), signal);
      provider.calls += 1;
      const { retryAfterMs } = provider.model;
      if (retryAfterMs !== undefined && provider.calls === 1) {
        throw new ApigThrottledError('throttled', {
          operation: 'updateCertificate',
          httpStatus: 429,
          errorCode: 'APIGW.0308',
          retryAfterMs,
          serverRetryAfterMs: retryAfterMs,
        });
      }
    });
    if (!signal.aborted) handledAt.set(key, clock.now() - T0);
  });
  const watched = order.filter((key) => measured.some((p) => key.startsWith(`${providerOf(p)}/`)));
  while (!watched.every((key) => handledAt.has(key)) && clock.now() - T0 < GIVE_UP_MS) {
    await clock.advance(100);
  }
  const drained = queue.shutDown();
  await clock.advance(1_000);
  await drained;
  await running;
  if (!watched.every((key) => handledAt.has(key))) return Number.POSITIVE_INFINITY;
  return Math.max(...watched.map((key) => handledAt.get(key)!));
}

const healthy = (): ProviderModel[] => Array.from({ length: PROVIDERS }, () => ({ rate: RATE }));
const withFirst = (model: ProviderModel): ProviderModel[] => [model, ...healthy().slice(1)];
const ALL = Array.from({ length: PROVIDERS }, (_, p) => p);
const ALL_BUT_FIRST = ALL.slice(1);

interface Case {
  name: string;
  providers: ProviderModel[];
  arrivals: Arrivals;
  measured: number[];
  /** Whether one shared arrival-order queue (no fairness) misses the bound here. */
  missedWithoutFairness: boolean;
}

const CASES: Case[] = [
  {
    name: 'first sync',
    providers: healthy(),
    arrivals: FIRST_SYNC,
    measured: ALL,
    missedWithoutFairness: true,
  },
  {
    name: 'mass rotation',
    providers: healthy(),
    arrivals: ROTATION,
    measured: ALL,
    missedWithoutFairness: false,
  },
  {
    name: 'first sync, one provider at 1/s: the other nine',
    providers: withFirst({ rate: 1 }),
    arrivals: FIRST_SYNC,
    measured: ALL_BUT_FIRST,
    missedWithoutFairness: true,
  },
  {
    name: 'mass rotation, one provider at 1/s: the other nine',
    providers: withFirst({ rate: 1 }),
    arrivals: ROTATION,
    measured: ALL_BUT_FIRST,
    missedWithoutFairness: true,
  },
  {
    name: 'first sync, one provider held by a 30 s Retry-After: the other nine',
    providers: withFirst({ rate: RATE, retryAfterMs: 30_000 }),
    arrivals: FIRST_SYNC,
    measured: ALL_BUT_FIRST,
    missedWithoutFairness: true,
  },
  {
    name: 'mass rotation, one provider held by a 30 s Retry-After: the other nine',
    providers: withFirst({ rate: RATE, retryAfterMs: 30_000 }),
    arrivals: ROTATION,
    measured: ALL_BUT_FIRST,
    missedWithoutFairness: true,
  },
];

/** N / R of the measured providers: their keys over the sum of their rates. */
function idealMs({ providers, measured }: Case): number {
  const rate = measured.reduce((sum, p) => sum + providers[p]!.rate, 0);
  return ((measured.length * KEYS_PER_PROVIDER) / rate) * 1000;
}

describe('WorkQueue fairness by provider, modelled (10 providers × 100 keys, 16 workers)', () => {
  it.each(CASES)('$name: within 1.15 × N/R with fairness', async (scenario) => {
    const ms = await simulate(true, scenario);
    expect(ms / idealMs(scenario)).toBeLessThanOrEqual(BOUND);
  });

  // The model tells the queues apart: without fairness, keys listed one
  // provider after the other, or a slow provider's keys, take every worker
  // (all 16 wait at one pacer). Interleaved keys of equal providers spread
  // over the workers by themselves.
  it.each(CASES)('$name: missed without fairness: $missedWithoutFairness', async (scenario) => {
    const ms = await simulate(false, scenario);
    expect(ms / idealMs(scenario) > BOUND).toBe(scenario.missedWithoutFairness);
  });
});

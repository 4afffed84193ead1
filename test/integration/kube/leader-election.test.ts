// Lease-based leader election against a real kube-apiserver: one leader among
// several candidates, immediate hand-over on release, and take-over after the
// lease duration when the leader stops renewing (its API access is cut by a
// proxy), with the old leader stepping down first.
import { KubeClient } from '../../../src/kube/kube-client.ts';
import { LeaderElector, leaderIdentity } from '../../../src/kube/leader-election.ts';
import type { LeaderElectorOptions } from '../../../src/kube/leader-election.ts';
import type { LeaseSpec } from '../../../src/kube/lease.ts';
import { LEASES, objectPath } from '../../../src/kube/resources.ts';
import { createTestNamespace, testKubeConfig } from '../../support/kube.ts';
import { FaultProxy } from './fault-proxy.ts';
import { eventuallyPasses } from '../../support/eventually.ts';

const admin = new KubeClient(testKubeConfig());
const cleanups: (() => Promise<void>)[] = [];
let namespace: string;
let leaseCounter = 0;

beforeAll(async () => {
  namespace = await createTestNamespace('leader');
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await admin.close();
});

/** A candidate with its own connection, as a separate replica would have. */
interface Candidate {
  elector: LeaderElector;
  startedAt: number[];
  stoppedAt: number[];
  done: Promise<void>;
}

type Timing = Pick<LeaderElectorOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>;
const FAST: Timing = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 400 };

function candidate(
  lease: string,
  timing: Timing,
  client = new KubeClient(testKubeConfig()),
): Candidate {
  const elector = new LeaderElector({
    client,
    namespace,
    name: lease,
    identity: leaderIdentity('replica'),
    ...timing,
  });
  const c: Candidate = { elector, startedAt: [], stoppedAt: [], done: Promise.resolve() };
  c.done = elector.run({
    onStartedLeading: () => c.startedAt.push(Date.now()),
    onStoppedLeading: () => c.stoppedAt.push(Date.now()),
  });
  cleanups.push(async () => {
    await elector.stop();
    await client.close();
  });
  return c;
}

function newLease(): string {
  leaseCounter++;
  return `apig-cert-operator-${leaseCounter}`;
}

async function leaseSpec(name: string): Promise<LeaseSpec | undefined> {
  const lease = await admin.json<{ spec?: LeaseSpec }>({
    path: objectPath(LEASES, namespace, name),
  });
  return lease.spec;
}

function leaders(candidates: Candidate[]): Candidate[] {
  return candidates.filter((c) => c.elector.isLeader());
}

/** Samples every 25 ms for `ms` and returns the largest number of simultaneous leaders. */
async function maxSimultaneousLeaders(candidates: Candidate[], ms: number): Promise<number> {
  let max = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    max = Math.max(max, leaders(candidates).length);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return max;
}

describe('LeaderElector against kube-apiserver', () => {
  it('elects exactly one of two candidates and records it in the Lease', async () => {
    const lease = newLease();
    const candidates = [candidate(lease, FAST), candidate(lease, FAST)];
    const [leader] = await eventuallyPasses(() => {
      const l = leaders(candidates);
      expect(l).toHaveLength(1);
      return l;
    });
    expect(await maxSimultaneousLeaders(candidates, 3_000)).toBe(1);
    expect(leaders(candidates)).toEqual([leader]);
    const spec = await leaseSpec(lease);
    expect(spec?.holderIdentity).toBe(leader!.elector.identity);
    expect(spec?.leaseDurationSeconds).toBe(3);
    const follower = candidates.find((c) => c !== leader)!;
    expect(follower.elector.leader).toBe(leader!.elector.identity);
    expect(follower.startedAt).toEqual([]);
  }, 30_000);

  it('hands over at once when the leader releases the lease on stop', async () => {
    const lease = newLease();
    // A long lease: a take-over well inside it can only come from the release.
    const slow: Timing = { leaseDurationMs: 20_000, renewDeadlineMs: 10_000, retryPeriodMs: 500 };
    const first = candidate(lease, slow);
    await eventuallyPasses(() => expect(first.elector.isLeader()).toBe(true));
    const second = candidate(lease, slow);
    await eventuallyPasses(() => expect(second.elector.leader).toBe(first.elector.identity));
    const transitionsBefore = (await leaseSpec(lease))?.leaseTransitions ?? 0;

    const stoppedAt = Date.now();
    await first.elector.stop();
    await first.done;
    expect(first.elector.isLeader()).toBe(false);
    expect(first.stoppedAt).toHaveLength(1);
    await eventuallyPasses(() => expect(second.elector.isLeader()).toBe(true));
    const handOverMs = second.startedAt[0]! - stoppedAt;
    process.stderr.write(`[kube/leader] hand-over after release: ${handOverMs} ms (lease 20 s)\n`);
    expect(handOverMs).toBeLessThan(10_000);
    const spec = await leaseSpec(lease);
    expect(spec?.holderIdentity).toBe(second.elector.identity);
    expect(spec?.leaseTransitions).toBe(transitionsBefore + 1); // release keeps it; the take-over counts
  }, 30_000);

  it('a leader that cannot renew steps down before another takes over after the lease duration', async () => {
    const lease = newLease();
    const proxy = await FaultProxy.start(testKubeConfig());
    cleanups.push(() => proxy.close());
    const isolated = candidate(lease, FAST, new KubeClient(proxy.kubeConfig()));
    await eventuallyPasses(() => expect(isolated.elector.isLeader()).toBe(true));
    const other = candidate(lease, FAST);
    await eventuallyPasses(() => expect(other.elector.leader).toBe(isolated.elector.identity));

    const cutAt = Date.now();
    proxy.blackhole(true);
    await eventuallyPasses(() => expect(other.elector.isLeader()).toBe(true), 15_000);
    await isolated.done; // lost leadership ends run()

    const steppedDown = isolated.stoppedAt[0]!;
    const tookOver = other.startedAt[0]!;
    process.stderr.write(
      `[kube/leader] renewals cut: old leader stepped down after ${steppedDown - cutAt} ms, successor took over after ${tookOver - cutAt} ms (lease 3 s, renew deadline 2 s)\n`,
    );
    expect(steppedDown).toBeLessThanOrEqual(tookOver);
    // The old leader gives up within its renew deadline of the last renewal...
    expect(steppedDown - cutAt).toBeLessThanOrEqual(FAST.renewDeadlineMs! + 1_000);
    // ...and the other waits out the lease duration measured from that renewal.
    expect(tookOver - cutAt).toBeGreaterThanOrEqual(
      FAST.leaseDurationMs! - FAST.retryPeriodMs! * 1.2 - 100,
    );
    expect(tookOver - cutAt).toBeLessThan(FAST.leaseDurationMs! + 5_000);
    expect((await leaseSpec(lease))?.holderIdentity).toBe(other.elector.identity);
  }, 30_000);

  it('three candidates racing for a new lease never have two leaders, through a hand-over', async () => {
    const lease = newLease();
    const candidates = [candidate(lease, FAST), candidate(lease, FAST), candidate(lease, FAST)];
    expect(await maxSimultaneousLeaders(candidates, 2_000)).toBe(1);
    const [first] = leaders(candidates);
    const rest = candidates.filter((c) => c !== first);
    // Long enough for a successor on a loaded machine (it needs one retry
    // period after the release); the check is that there is never a second.
    const sampling = maxSimultaneousLeaders(rest, 6_000);
    await first!.elector.stop();
    expect(await sampling).toBe(1);
    expect(leaders(candidates)).toHaveLength(1);
    expect(candidates.reduce((n, c) => n + c.startedAt.length, 0)).toBe(2);
  }, 30_000);
});

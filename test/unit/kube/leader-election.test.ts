import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { KubeApiError, KubeClient } from '../../../src/kube/kube-client.ts';
import { decideLease, toMicroTime } from '../../../src/kube/lease.ts';
import type { LeaseDecisionInput, LeaseSpec } from '../../../src/kube/lease.ts';
import { LeaderElector, leaderIdentity } from '../../../src/kube/leader-election.ts';
import type { KubeRequest } from '../../../src/kube/kube-client.ts';
import { FakeClock, flushPromises } from '../../support/fake-clock.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0, 123);
const me = 'operator-a_1234';
const other = 'operator-b_5678';

function input(current: LeaseSpec | undefined, observedAgoMs: number): LeaseDecisionInput {
  return {
    current,
    observedAtMs: T0 - observedAgoMs,
    nowMs: T0,
    identity: me,
    leaseDurationMs: 15_000,
  };
}

const held = (holderIdentity: string, extra: Partial<LeaseSpec> = {}): LeaseSpec => ({
  holderIdentity,
  leaseDurationSeconds: 15,
  acquireTime: '2026-11-28T11:00:00.000000Z',
  renewTime: '2026-11-28T11:59:59.000000Z',
  leaseTransitions: 3,
  ...extra,
});

describe('toMicroTime', () => {
  it.each([
    [T0, '2026-11-28T12:00:00.123000Z'],
    [0, '1970-01-01T00:00:00.000000Z'],
  ])('%d -> %s', (ms, expected) => {
    expect(toMicroTime(ms)).toBe(expected);
  });
});

describe('leaderIdentity', () => {
  it('is the base name plus a random suffix, different each time', () => {
    const a = leaderIdentity('apig-cert-operator-7d9f-x2');
    const b = leaderIdentity('apig-cert-operator-7d9f-x2');
    expect(a).toMatch(/^apig-cert-operator-7d9f-x2_[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });
});

describe('decideLease', () => {
  it.each([
    [
      'no lease yet: create it',
      undefined,
      0,
      { holderIdentity: me, acquireTime: toMicroTime(T0), leaseTransitions: 0 },
    ],
    [
      'released lease (empty holder): take it at once',
      held(''),
      0,
      { holderIdentity: me, acquireTime: toMicroTime(T0), leaseTransitions: 4 },
    ],
    [
      'our own lease: renew, keep acquireTime and transitions',
      held(me),
      1_000,
      { holderIdentity: me, acquireTime: '2026-11-28T11:00:00.000000Z', leaseTransitions: 3 },
    ],
    [
      'another holder, unrenewed for the whole lease duration: take over',
      held(other),
      15_000,
      { holderIdentity: me, acquireTime: toMicroTime(T0), leaseTransitions: 4 },
    ],
    ['lease without holder field: take it', {}, 0, { holderIdentity: me, leaseTransitions: 1 }],
  ])('%s', (_name, current, observedAgo, expected) => {
    const decision = decideLease(input(current, observedAgo));
    expect(decision.acquire).toBe(true);
    if (!decision.acquire) return;
    expect(decision.spec).toMatchObject({
      ...expected,
      renewTime: toMicroTime(T0),
      leaseDurationSeconds: 15,
    });
  });

  it.each([
    ['just observed', 0],
    ['observed 14.999 s ago', 14_999],
  ])('another holder %s keeps the lease', (_name, observedAgo) => {
    expect(decideLease(input(held(other), observedAgo))).toEqual({ acquire: false, holder: other });
  });

  it.each([
    // [what the holder wrote, observed ago, acquire?]
    ['60 s, observed 20 s ago', held(other, { leaseDurationSeconds: 60 }), 20_000, false],
    ['60 s, observed 60 s ago', held(other, { leaseDurationSeconds: 60 }), 60_000, true],
    ['1 s, observed 1 s ago', held(other, { leaseDurationSeconds: 1 }), 1_000, true],
    ['1 s, observed 0.5 s ago', held(other, { leaseDurationSeconds: 1 }), 500, false],
    [
      'no duration, observed 14.999 s ago (ours: 15 s)',
      held(other, { leaseDurationSeconds: undefined }),
      14_999,
      false,
    ],
    [
      'no duration, observed 15 s ago (ours: 15 s)',
      held(other, { leaseDurationSeconds: undefined }),
      15_000,
      true,
    ],
  ])(
    "another holder's lease lasts the duration it states (%s): acquire %s",
    (_name, current, observedAgo, acquire) => {
      expect(decideLease(input(current, observedAgo)).acquire).toBe(acquire);
    },
  );

  it('judges validity by when we observed the lease, not by its renewTime', () => {
    // renewTime is an hour old by the holder's clock, but we saw this version 1 s ago.
    const stale = held(other, { renewTime: '2026-11-28T11:00:00.000000Z' });
    expect(decideLease(input(stale, 1_000)).acquire).toBe(false);
  });

  it.each([
    [15_000, 15],
    [2_500, 3],
    [400, 1],
  ])('records a lease duration of %d ms as %d s', (leaseDurationMs, seconds) => {
    const decision = decideLease({ ...input(undefined, 0), leaseDurationMs });
    expect(decision.acquire && decision.spec.leaseDurationSeconds).toBe(seconds);
  });
});

describe('LeaderElector options', () => {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const client = new KubeClient(kubeConfig);
  const base = { client, namespace: 'ns', name: 'lease', identity: me };

  it.each([
    [{ leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }, /leaseDurationMs/],
    [{ renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }, /renewDeadlineMs/],
  ])('rejects %j', (timing, message) => {
    expect(() => new LeaderElector({ ...base, ...timing })).toThrow(message);
  });

  it('accepts the defaults (15 s / 10 s / 2 s)', () => {
    expect(new LeaderElector(base).isLeader()).toBe(false);
  });
});

/** A Lease API holding one lease, with resourceVersion bumped on every write. */
function fakeLeaseApi(spec: LeaseSpec): { client: KubeClient; requests: KubeRequest[] } {
  let lease = { metadata: { name: 'lease', namespace: 'ns', resourceVersion: '1' }, spec };
  const requests: KubeRequest[] = [];
  const client = {
    json: (request: KubeRequest): Promise<unknown> => {
      requests.push(request);
      if (request.method === 'PUT') {
        const body = request.body as typeof lease;
        const version = String(Number(lease.metadata.resourceVersion) + 1);
        lease = { ...body, metadata: { ...body.metadata, resourceVersion: version } };
      }
      return Promise.resolve(structuredClone(lease));
    },
  };
  return { client: client as unknown as KubeClient, requests };
}

describe('LeaderElector takeover timing', () => {
  it.each([
    // [duration the other holder wrote, ms after which we lead]
    [60, 60_000],
    [1, 2_000],
  ])('waits out the %d s the holder stated, not our own 15 s', async (seconds, takeoverMs) => {
    const clock = new FakeClock(T0);
    const { client, requests } = fakeLeaseApi(held(other, { leaseDurationSeconds: seconds }));
    const elector = new LeaderElector({
      client,
      namespace: 'ns',
      name: 'lease',
      identity: me,
      clock,
      random: () => 0,
    });
    let ledAt: number | undefined;
    const running = elector.run({ onStartedLeading: () => (ledAt = clock.now() - T0) });
    for (let t = 0; t < 70_000 && ledAt === undefined; t += 2_000) await clock.advance(2_000);
    // Attempts come every 2 s (retry period, no jitter): the first one at or after expiry wins.
    expect(ledAt).toBe(takeoverMs);
    expect(requests.at(-1)?.signal).toBeInstanceOf(AbortSignal);
    const stopped = elector.stop();
    await flushPromises();
    await stopped;
    expect(elector.isLeader()).toBe(false);
    await running;
  });
});

describe('LeaderElector stop', () => {
  it('cuts a lease read that hangs, instead of waiting for its timeout', async () => {
    const clock = new FakeClock(T0);
    let aborted = false;
    const client = {
      // The API server never answers; only the request's signal ends the call.
      json: ({ signal }: KubeRequest): Promise<unknown> =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    } as unknown as KubeClient;
    const elector = new LeaderElector({
      client,
      namespace: 'ns',
      name: 'lease',
      identity: me,
      clock,
    });
    const running = elector.run({ onStartedLeading: () => undefined });
    await flushPromises();
    await elector.stop();
    await running;
    expect(aborted).toBe(true);
    expect(clock.now()).toBe(T0); // no timer had to fire
  });
});

describe('LeaderElector with a Lease namespace that does not exist', () => {
  it('is blocked with a message naming it, logs it once, and campaigns on once it exists', async () => {
    const clock = new FakeClock(T0);
    let namespaceExists = false;
    let created: unknown;
    const notFound = (what: string) =>
      new KubeApiError(404, { reason: 'NotFound', message: what }, 'lease');
    const client = {
      json: (request: KubeRequest): Promise<unknown> => {
        if (request.method === 'POST') {
          if (!namespaceExists) return Promise.reject(notFound('namespaces "leases" not found'));
          created = {
            ...(request.body as object),
            metadata: { name: 'lease', namespace: 'leases', resourceVersion: '1' },
          };
          return Promise.resolve(created);
        }
        return created
          ? Promise.resolve(created)
          : Promise.reject(notFound('leases "lease" not found'));
      },
    } as unknown as KubeClient;
    const lines: { level: number; msg: string }[] = [];
    const logger = pino(
      {},
      { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) },
    );
    const errors = () => lines.filter((l) => l.level >= 50).map((l) => l.msg);
    const elector = new LeaderElector({
      client,
      namespace: 'leases',
      name: 'lease',
      identity: me,
      clock,
      random: () => 0,
      logger,
    });
    let leading = false;
    const running = elector.run({ onStartedLeading: () => (leading = true) });
    for (let t = 0; t < 10_000; t += 2_000) await clock.advance(2_000);
    expect(elector.blocked).toMatch(
      /^the Lease namespace "leases" does not exist: create it, or set LEADER_ELECTION_NAMESPACE/,
    );
    expect(errors()).toEqual([elector.blocked]);
    expect(leading).toBe(false);

    namespaceExists = true;
    await clock.advance(2_000);
    expect(leading).toBe(true);
    expect(elector.blocked).toBeUndefined();
    const stopped = elector.stop();
    await flushPromises();
    await stopped;
    await running;
  });
});

import { systemClock, type Clock } from '../../../src/common/clock.ts';
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { PACE } from '../../../src/apig/pacer.ts';
import {
  bodyFor,
  clientFor,
  putValidLeaf,
  shareSimulator,
  startSimulator,
  validLeaf,
} from './client-fixtures.ts';

/** Real timers, but a time that tests can move forward (shared with the simulator). */
class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  setTimeout: Clock['setTimeout'] = (callback, ms) => systemClock.setTimeout(callback, ms);
  clearTimeout: Clock['clearTimeout'] = (handle) => systemClock.clearTimeout(handle);
  sleep: Clock['sleep'] = (ms, signal) => systemClock.sleep(ms, signal);
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function seedMany(sim: ApigSimulator, prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}-${i}`;
    sim.seedCertificate({ id, name: 'seeded_cert' });
    return id;
  });
}

const tokenRequests = (sim: ApigSimulator) =>
  sim.requests().filter((r) => r.service === 'iam' && r.method === 'POST');

describe('IAM token: single flight, cache, refresh', () => {
  let sim: ApigSimulator;
  beforeEach(async () => {
    sim = await startSimulator();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('N concurrent first calls share one token request', async () => {
    const ids = seedMany(sim, 'cold', 8);
    const client = clientFor(sim, 'iamPassword');
    try {
      await Promise.all(ids.map((id) => putValidLeaf(client, id)));
      expect(tokenRequests(sim)).toHaveLength(1);
      expect(tokenRequests(sim)[0]).toMatchObject({ path: '/v3/auth/tokens', status: 201 });
      expect(tokenRequests(sim)[0]?.query).toBe('nocatalog=true');
    } finally {
      await client.close();
    }
  });

  it('after expireTokens(), N concurrent calls cause exactly one new token request', async () => {
    const ids = seedMany(sim, 'hot', 8);
    const client = clientFor(sim, 'iamPassword');
    try {
      await putValidLeaf(client, ids[0]!);
      expect(tokenRequests(sim)).toHaveLength(1);
      sim.expireTokens();
      const before = sim.requests().length;
      await Promise.all(ids.map((id) => putValidLeaf(client, id)));
      expect(tokenRequests(sim)).toHaveLength(2);
      const after = sim.requests().slice(before);
      // every call: one 401 with the revoked token, one 200 with the new one
      for (const id of ids) {
        expect(after.filter((r) => r.certificateId === id).map((r) => r.status)).toEqual([
          401, 200,
        ]);
      }
    } finally {
      await client.close();
    }
  });

  it('reuses the token while it is fresh', async () => {
    const [id] = seedMany(sim, 'fresh', 1);
    const client = clientFor(sim, 'iamPassword');
    try {
      for (let i = 0; i < 5; i++) await putValidLeaf(client, id!);
      expect(tokenRequests(sim)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('fetches a new token shortly before expires_at, without waiting for a 401', async () => {
    const clock = new ShiftedClock();
    const own = await startSimulator({
      now: () => new Date(clock.now()),
      tokenLifetimeMs: 20 * 60_000,
    });
    const [id] = seedMany(own, 'refresh', 1);
    const client = clientFor(own, 'iamPassword', { clock });
    try {
      await putValidLeaf(client, id!);
      clock.offsetMs = 10 * 60_000; // 10 min left: still fresh (refresh 5 min before expiry)
      await putValidLeaf(client, id!);
      expect(tokenRequests(own)).toHaveLength(1);
      clock.offsetMs = 16 * 60_000; // 4 min left: time to refresh
      await putValidLeaf(client, id!);
      expect(tokenRequests(own)).toHaveLength(2);
      expect(own.requests().filter((r) => r.status === 401)).toHaveLength(0);
    } finally {
      await client.close();
      await own.close();
    }
  });

  it('a failed token request is not cached: the next call asks again', async () => {
    const [id] = seedMany(sim, 'uncached', 1);
    const client = clientFor(sim, 'iamPassword');
    try {
      sim.addFault({ fault: { kind: 'serverError' }, service: 'iam', times: 1 });
      await expect(putValidLeaf(client, id!)).rejects.toMatchObject({ operation: 'iamToken' });
      await putValidLeaf(client, id!);
      expect(tokenRequests(sim).map((r) => r.status)).toEqual([500, 201]);
    } finally {
      await client.close();
    }
  });
});

/** The waits of `count` requests after the burst, at `perSecond` as the client paces it. */
function slots(perSecond: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) =>
    Math.ceil(((i + 1) * 1000) / (perSecond * PACE.aim)),
  );
}

describe('client-side rate limit', () => {
  let sim: ApigSimulator;
  shareSimulator((started) => (sim = started));

  it('holds every request of the client to the configured rate (fake clock)', async () => {
    const clock = new FakeClock();
    const ids = seedMany(sim, 'fake-rate', 6);
    await validLeaf();
    const client = clientFor(sim, 'token', {
      clock,
      rateLimit: { requestsPerSecond: 4, burst: 2 },
    });
    try {
      const calls = ids.map((id) => putValidLeaf(client, id));
      await settle();
      // two at once, the four others 250 ms apart at 4/s (paced at PACE.aim of it), whatever the certificate
      expect(clock.sleeps).toEqual(slots(4, 4));
      await clock.advance(1_100);
      await Promise.all(calls);
    } finally {
      await client.close();
    }
  });

  it('spaces real requests (generous lower bound)', async () => {
    const ids = seedMany(sim, 'real-rate', 6);
    const client = clientFor(sim, 'token', { rateLimit: { requestsPerSecond: 10, burst: 1 } });
    try {
      const started = Date.now();
      await Promise.all(ids.map((id) => putValidLeaf(client, id)));
      // 6 requests at 10/s with no burst: the last cannot start before 500 ms
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    } finally {
      await client.close();
    }
  });

  it('defaults to 10 requests per second with a burst of 1', async () => {
    const clock = new FakeClock();
    const ids = seedMany(sim, 'default-rate', 7);
    await validLeaf();
    const client = clientFor(sim, 'token', { clock, rateLimit: undefined });
    try {
      const calls = ids.map((id) => putValidLeaf(client, id));
      await settle();
      expect(clock.sleeps).toEqual(slots(10, 6));
      await clock.advance(700);
      await Promise.all(calls);
    } finally {
      await client.close();
    }
  });
});

describe('one request in flight per certificate', () => {
  let sim: ApigSimulator;
  shareSimulator((started) => (sim = started));

  it('serialises calls on one certificate and lets others through', async () => {
    const latencyMs = 300;
    sim.seedCertificate({ id: 'busy', name: 'busy_cert' });
    sim.seedCertificate({ id: 'other', name: 'other_cert' });
    sim.addFault({ fault: { kind: 'latency', ms: latencyMs }, certificateId: 'busy' });
    const leaf = await validLeaf();
    const client = clientFor(sim, 'aksk');
    try {
      await Promise.all([
        client.updateCertificate({ certificateId: 'busy' }, bodyFor(leaf, 'first_put')),
        client.updateCertificate({ certificateId: 'busy' }, bodyFor(leaf, 'second_put')),
        client.updateCertificate({ certificateId: 'busy' }, bodyFor(leaf, 'third_put')),
        client.updateCertificate({ certificateId: 'other' }, bodyFor(leaf)),
      ]);
      const busy = sim.requests().filter((r) => r.certificateId === 'busy');
      const other = sim.requests().find((r) => r.certificateId === 'other');
      // in call order, each one sent only after the previous one was answered
      expect(busy.map((r) => r.method)).toEqual(['PUT', 'PUT', 'PUT']);
      expect(sim.certificate('busy')?.name).toBe('third_put');
      for (let i = 1; i < busy.length; i++) {
        const gap = busy[i]!.time.getTime() - busy[i - 1]!.time.getTime();
        expect(gap).toBeGreaterThanOrEqual(latencyMs - 10);
      }
      // the other certificate did not queue behind them
      expect(other!.time.getTime()).toBeLessThan(busy[1]!.time.getTime());
    } finally {
      sim.clearFaults();
      await client.close();
    }
  });
});

// updateCertificate(target, body, signal): a PUT not yet sent when the signal
// aborts is never sent, whatever it was waiting for.
import { setTimeout as delay } from 'node:timers/promises';
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import type { AuthModeName } from './client-fixtures.ts';
import {
  bodyFor,
  clientFor,
  rejectionOf,
  shareSimulator,
  startSimulator,
  validLeaf,
} from './client-fixtures.ts';

let sim: ApigSimulator;

shareSimulator((started) => (sim = started));

const putsOf = (id: string) =>
  sim.requests().filter((r) => r.method === 'PUT' && r.certificateId === id);

function seeded(id: string): string {
  sim.seedCertificate({ id, name: 'placeholder_name' });
  return id;
}

/** A certificate whose next PUT the simulator answers 300 ms late. */
function seededWithSlowPut(id: string): string {
  sim.addFault({
    fault: { kind: 'latency', ms: 300 },
    method: 'PUT',
    certificateId: seeded(id),
    times: 1,
  });
  return id;
}

/** By name: the DOMException comes from Node's realm, not the test's. */
function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'name' in error && error.name === 'AbortError'
  );
}

describe('updateCertificate with an AbortSignal', () => {
  it.each<AuthModeName>(['aksk', 'iamPassword', 'token'])(
    '%s: an already aborted signal sends nothing and rejects with an AbortError',
    async (mode) => {
      const id = seeded(`abort-early-${mode}`);
      const client = clientFor(sim, mode);
      const before = sim.requests().length;
      try {
        const error = await rejectionOf(
          client.updateCertificate(
            { certificateId: id },
            bodyFor(await validLeaf()),
            AbortSignal.abort(),
          ),
        );
        expect(isAbortError(error)).toBe(true);
        expect(sim.requests().slice(before)).toEqual([]);
      } finally {
        await client.close();
      }
    },
  );

  it('rejects with the reason given to abort()', async () => {
    const id = seeded('abort-reason');
    const client = clientFor(sim, 'aksk');
    const controller = new AbortController();
    const reason = new Error('leadership lost');
    controller.abort(reason);
    try {
      const error = await rejectionOf(
        client.updateCertificate(
          { certificateId: id },
          bodyFor(await validLeaf()),
          controller.signal,
        ),
      );
      expect(error).toBe(reason);
      expect(putsOf(id)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('aborted while waiting for an earlier PUT of the same certificate: not sent', async () => {
    const id = seededWithSlowPut('abort-mutex');
    const leaf = await validLeaf();
    const client = clientFor(sim, 'aksk');
    const controller = new AbortController();
    try {
      const first = client.updateCertificate({ certificateId: id }, bodyFor(leaf, 'first_put'));
      const second = rejectionOf(
        client.updateCertificate(
          { certificateId: id },
          bodyFor(leaf, 'second_put'),
          controller.signal,
        ),
      );
      await delay(50);
      controller.abort();
      expect(isAbortError(await second)).toBe(true);
      await first;
      // A third call still queues behind the first and goes through.
      await client.updateCertificate({ certificateId: id }, bodyFor(leaf, 'third_put'));
      expect(putsOf(id).map((r) => r.status)).toEqual([200, 200]);
      expect(sim.certificate(id)?.name).toBe('third_put');
    } finally {
      await client.close();
    }
  });

  it('aborted while waiting for the rate limit: not sent, and the wait ends at once', async () => {
    const [a, b] = [seeded('abort-rate-a'), seeded('abort-rate-b')];
    const leaf = await validLeaf();
    const client = clientFor(sim, 'aksk', { rateLimit: { requestsPerSecond: 0.2, burst: 1 } });
    const controller = new AbortController();
    try {
      await client.updateCertificate({ certificateId: a }, bodyFor(leaf));
      const started = Date.now();
      const waiting = rejectionOf(
        client.updateCertificate({ certificateId: b }, bodyFor(leaf), controller.signal),
      );
      await delay(50);
      controller.abort();
      expect(isAbortError(await waiting)).toBe(true);
      expect(Date.now() - started).toBeLessThan(2_000);
      await delay(50);
      expect(putsOf(b)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('aborted while waiting for an IAM token: not sent; the token request runs on', async () => {
    const own = await startSimulator();
    own.seedCertificate({ id: 'abort-token', name: 'placeholder_name' });
    own.addFault({ fault: { kind: 'latency', ms: 300 }, service: 'iam', times: 1 });
    const client = clientFor(own, 'iamPassword');
    const controller = new AbortController();
    try {
      const waiting = rejectionOf(
        client.updateCertificate(
          { certificateId: 'abort-token' },
          bodyFor(await validLeaf()),
          controller.signal,
        ),
      );
      await delay(50);
      controller.abort();
      expect(isAbortError(await waiting)).toBe(true);
      await delay(400);
      const seen = own.requests();
      expect(seen.filter((r) => r.service === 'iam').map((r) => r.status)).toEqual([201]);
      expect(seen.filter((r) => r.method === 'PUT')).toEqual([]);
    } finally {
      await client.close();
      await own.close();
    }
  });

  it("aborted while the request is in flight: the PUT runs to its end and APIG's answer is returned", async () => {
    const id = seededWithSlowPut('abort-in-flight');
    const client = clientFor(sim, 'aksk');
    const controller = new AbortController();
    const leaf = await validLeaf();
    try {
      const answer = client.updateCertificate(
        { certificateId: id },
        bodyFor(leaf),
        controller.signal,
      );
      await delay(100);
      controller.abort();
      // APIG applies a dispatched PUT whatever the caller does; cutting it would
      // lose the answer that records it and make the next leader send it again.
      await expect(answer).resolves.toMatchObject({ id });
      expect(putsOf(id).map((r) => r.status)).toEqual([200]);
    } finally {
      await client.close();
    }
  });
});

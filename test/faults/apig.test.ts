// Fault suite, APIG side: 30 % of certificate calls failing in every way APIG
// or the network fails (5xx, timeouts, resets, both throttling forms,
// malformed answers), IAM tokens expiring mid-run, and faults on the cleanup
// path of deletionPolicy Delete. Each case ends with every resource Ready and
// APIG holding exactly each Secret's certificate, or the resource gone and APIG
// cleaned up.
import { jest } from '@jest/globals';
import {
  DEFAULT_PROJECT_NAME,
  type Fault,
  type RequestLogEntry,
} from '../support/apig-simulator/index.ts';
import { eventually } from '../support/eventually.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { sleep, type Scenario } from '../support/scenario.ts';
import { Fleet } from './support/fleet.ts';
import { putAccount, resentAfterAccepted } from './support/put-rules.ts';
import { operatorEnv } from './support/replicas.ts';
import { deleteResource, waitDeleted } from '../support/by-name.ts';
import { writeSecret } from './support/secrets.ts';
import { useFaultSuite } from './support/suite.ts';
import type { HttpTap, TappedExchange } from './support/tap.ts';

jest.setTimeout(240_000);

const suite = useFaultSuite();
const { leaks } = suite;

/** Waits until the simulator has finished every request the tap passed on (held ones included). */
async function quiesce(s: Scenario, tap: HttpTap): Promise<void> {
  await eventually(
    'APIG idle',
    () => Promise.resolve(s.simulator.requests().length === tap.exchanges.length),
    30_000,
  );
}

describe('APIG faults', () => {
  /** APIG_TIMEOUT of the operator in the 30 % case; the latency fault exceeds it. */
  const TIMEOUT_MS = 2_000;
  const FAULT_KINDS: Fault[] = [
    { kind: 'serverError' },
    { kind: 'latency', ms: TIMEOUT_MS + 1_000 },
    { kind: 'reset' },
    { kind: 'throttle429', retryAfterSeconds: 1 },
    { kind: 'throttle500' },
    { kind: 'malformed' },
  ];
  /** Per-kind rate such that a call meets at least one fault with probability 0.3. */
  const RATE = 1 - Math.pow(1 - 0.3, 1 / FAULT_KINDS.length);
  /**
   * Attempts one resource may need for one content. Attempts fail
   * independently with p = 0.3, so more than ten needs ten failures in a row
   * (0.3^10 ≈ 6e-6 per resource and content); the backoff policy (below)
   * keeps even that many from being a hot loop.
   */
  const MAX_ATTEMPTS = 10;
  /** Timers never fire early, but clocks are read a few ms apart. */
  const CLOCK_SLACK_MS = 50;

  /**
   * The shortest wait the operator may leave after an attempt, from its
   * backoff policy: a retryable failure backs off per key from 1 s doubling
   * (to 5 min), jittered down by at most 20 %; a 429 waits its Retry-After;
   * a 500 APIG.9008 (no Retry-After) goes back to the client's shared pacer
   * and waits one slot of its lowered rate, below the scenario's 50/s;
   * throttling resets the per-key backoff.
   */
  function minimumGapMs(entry: RequestLogEntry, consecutiveFailures: number): number {
    if (entry.fault === 'throttle429') return 1_000;
    if (entry.fault === 'throttle500') return 1_000 / 50;
    return 0.8 * Math.min(1_000 * 2 ** (consecutiveFailures - 1), 300_000);
  }

  /** Backoff violations and the attempt count of one resource in one phase. */
  function checkAttempts(
    id: string,
    tapped: TappedExchange[],
    logged: RequestLogEntry[],
  ): { attempts: number; findings: string[] } {
    const findings: string[] = [];
    if (tapped.length !== logged.length) {
      return { attempts: tapped.length, findings: [`${id}: tap and APIG disagree on the PUTs`] };
    }
    let failures = 0;
    tapped.forEach((put, i) => {
      const entry = logged[i]!;
      const next = tapped[i + 1];
      const clean = entry.fault === undefined && entry.status === 200;
      if (clean) {
        if (next) findings.push(`${id}: PUT #${next.seq} after the accepted PUT #${put.seq}`);
        return;
      }
      const throttled = entry.fault === 'throttle429' || entry.fault === 'throttle500';
      failures = throttled ? 0 : failures + 1;
      if (!next) {
        // An unanswered PUT that APIG applied is read back (GET), not sent again.
        if (!entry.applied) {
          findings.push(`${id}: the last PUT #${put.seq} failed (${entry.fault ?? entry.status})`);
        }
        return;
      }
      const gap = next.sentAt - put.sentAt;
      const minimum = minimumGapMs(entry, failures);
      if (gap < minimum - CLOCK_SLACK_MS) {
        findings.push(
          `${id}: PUT #${next.seq} ${gap} ms after #${put.seq} (${entry.fault ?? entry.status}); the policy allows no less than ${minimum} ms`,
        );
      }
    });
    if (tapped.length > MAX_ATTEMPTS) findings.push(`${id}: ${tapped.length} attempts`);
    return { attempts: tapped.length, findings };
  }

  it('30 % of calls fail (5xx, timeouts, resets, 429, 500 APIG.9008, malformed): 20 resources converge, then a rotation of all; retries follow the backoff policy', async () => {
    const { s, tap } = await suite.scenario('flaky', { random: seededRandom(20261128) });
    const operator = suite.operator(
      operatorEnv(s, {
        APIG_ENDPOINT: tap.url,
        APIG_TIMEOUT: `${TIMEOUT_MS}ms`,
        // The tap and APIG share this process: with 16 PUTs at once on a busy
        // machine, answers without a fault can pass the 2 s timeout too.
        RECONCILE_CONCURRENCY: '4',
      }),
    );
    // Each kind for certain on the first call of one resource each (nothing
    // else can mask it there), and 30 % random faults on the other fourteen.
    const SIZE = 20;
    for (let i = 0; i < SIZE; i++) {
      const certificateId = `flaky-cert-${i}`;
      const forced = FAULT_KINDS[i];
      if (forced) {
        s.simulator.addFault({ fault: forced, method: 'PUT', certificateId, times: 1 });
        continue;
      }
      for (const fault of FAULT_KINDS) {
        s.simulator.addFault({ fault, method: 'PUT', certificateId, rate: RATE });
      }
    }

    const fleet = await Fleet.create(s, leaks, 'flaky', SIZE);
    await fleet.waitConverged(180_000);
    await quiesce(s, tap);
    const rotatedAt = Date.now();
    await fleet.rotate();
    await fleet.waitConverged(180_000);
    await quiesce(s, tap);
    await leaks.scrapeMetrics('after 30 % APIG faults', operator);

    const findings = resentAfterAccepted(tap.exchanges);
    const attempts: number[] = [];
    for (const { certificateId: id } of fleet.members) {
      const tapped = tap.puts(id);
      const logged = s.simulator
        .requests()
        .filter((e) => e.method === 'PUT' && e.certificateId === id)
        .sort((a, b) => a.time.getTime() - b.time.getTime());
      for (const before of [true, false]) {
        const inPhase = (at: number): boolean => at < rotatedAt === before;
        const phase = checkAttempts(
          id,
          tapped.filter((e) => inPhase(e.sentAt)),
          logged.filter((e) => inPhase(e.time.getTime())),
        );
        attempts.push(phase.attempts);
        findings.push(...phase.findings);
      }
      // APIG stored a content more than once only when its answer never reached the operator.
      const account = putAccount(tap.exchanges, s.simulator, id);
      if (account.applied > account.contents + account.unanswered) {
        findings.push(`${id}: ${JSON.stringify(account)}`);
      }
    }
    const seen = new Set(s.simulator.requests().flatMap((e) => (e.fault ? [e.fault] : [])));
    const faulted = s.simulator.requests().filter((e) => e.fault !== undefined).length;

    expect(findings).toEqual([]);
    expect([...seen].sort()).toEqual(FAULT_KINDS.map((f) => f.kind).sort());
    expect(faulted).toBeGreaterThanOrEqual(FAULT_KINDS.length);
    expect(Math.max(...attempts)).toBeLessThanOrEqual(MAX_ATTEMPTS);
    await operator.stop();
  });

  it('IAM token expired mid-run: one refresh, never a second failure with a token already refused', async () => {
    const password = 'fault-suite-Passw0rd!';
    const { s, tap } = await suite.scenario('iam', {
      users: [{ domain: 'acme', name: 'robot', password, project: DEFAULT_PROJECT_NAME }],
    });
    leaks.addCredential('the IAM password', password);
    const operator = suite.operator(
      operatorEnv(s, {
        APIG_AUTH_TOKEN: undefined,
        APIG_ENDPOINT: tap.url,
        HUAWEICLOUD_IAM_ENDPOINT: tap.url,
        HUAWEICLOUD_USERNAME: 'robot',
        HUAWEICLOUD_PASSWORD: password,
        HUAWEICLOUD_DOMAIN_NAME: 'acme',
        HUAWEICLOUD_PROJECT_NAME: DEFAULT_PROJECT_NAME,
        // Fewer workers than resources, so calls in flight are bounded by them.
        RECONCILE_CONCURRENCY: '4',
      }),
    );
    const fleet = await Fleet.create(s, leaks, 'iam', 5);
    await fleet.waitConverged();

    const since = (at: number) => tap.exchanges.filter((e) => e.sentAt >= at);
    const tokenRequests = (exchanges: TappedExchange[]) =>
      exchanges.filter((e) => e.path.endsWith('/v3/auth/tokens'));
    expect(tokenRequests(tap.exchanges).length).toBe(1);

    // One resource after the expiry: exactly one failure, one refresh, one retry.
    s.simulator.expireTokens();
    const first = Date.now();
    await fleet.rotate(['iam-0']);
    await fleet.waitConverged();
    expect(since(first).map((e) => `${e.method} ${e.certificateId ?? 'IAM'} ${e.status}`)).toEqual([
      'PUT iam-cert-0 401',
      'POST IAM 201',
      'PUT iam-cert-0 200',
    ]);

    // Every resource at once after the expiry: calls already in flight with
    // the old token fail, and still only one new token is requested.
    s.simulator.expireTokens();
    const second = Date.now();
    await fleet.rotate();
    await fleet.waitConverged();
    await quiesce(s, tap);
    const after = since(second);
    expect(tokenRequests(after).map((e) => e.status)).toEqual([201]);
    expect(after.filter((e) => e.status === 401).length).toBeLessThanOrEqual(4); // RECONCILE_CONCURRENCY

    // No lock-out pattern. A refused token is never sent again once the
    // operator has reacted to the refusal (its refresh); only calls already
    // in flight may fail with it too. A resource's refused call is followed
    // by a success, never by a second failure.
    const findings: string[] = [];
    for (const refused of tap.exchanges.filter((e) => e.status === 401)) {
      const refresh = tokenRequests(tap.exchanges).find((e) => e.sentAt > refused.sentAt);
      const reused = tap.exchanges.find(
        (e) => e.authToken === refused.authToken && refresh && e.sentAt > refresh.sentAt,
      );
      if (reused) {
        findings.push(
          `#${reused.seq} reused the token refused at #${refused.seq} after refresh #${refresh?.seq}`,
        );
      }
      const next = tap.exchanges.find(
        (e) => e.certificateId === refused.certificateId && e.seq > refused.seq,
      );
      if (next?.status !== 200) findings.push(`#${refused.seq} was not followed by a success`);
    }
    for (const e of tokenRequests(tap.exchanges)) {
      if (e.status !== 201) findings.push(`IAM answered #${e.seq} with ${e.status}`);
    }
    expect(findings).toEqual([]);
    expect(resentAfterAccepted(tap.exchanges)).toEqual([]);
    for (const token of tap.issuedTokens()) leaks.addCredential('an IAM token', token);
    await leaks.scrapeMetrics('after IAM token expiry', operator);
    await operator.stop();
  });

  it('faults on cleanup (reset on detach, 5xx on DELETE, both applied with the answer lost): CleanupFailed with the cause, retried with backoff, gone once the fault is removed, the certificate deleted', async () => {
    const { s, tap } = await suite.scenario('cleanup');
    const names = ['detach-reset', 'delete-5xx', 'answer-lost'];
    for (const name of names) {
      s.simulator.seedDomain({
        instanceId: 'gw-cleanup',
        groupId: 'g-cleanup',
        groupName: 'cleanup',
        domain: `${name}.example.com`,
      });
      await writeSecret(s, leaks, name, `${name}.example.com`);
      await s.createCertificate(name, {
        name: `${name.replace(/-/g, '_')}_cert`,
        deletionPolicy: 'Delete',
        domains: [{ name: `${name}.example.com` }],
      });
    }
    const operator = suite.operator(operatorEnv(s, { APIG_ENDPOINT: tap.url }));
    const [detachReset, delete5xx, answerLost] = await Promise.all(
      names.map(async (name) => (await s.waitForReady(name)).status!.certificateId!),
    );
    const calls = (id: string, what: 'detach' | 'delete') =>
      s.simulator
        .requests()
        .filter((r) =>
          what === 'detach'
            ? r.path.endsWith(`/certificates/${id}/domains/detach`)
            : r.method === 'DELETE' && r.certificateId === id,
        );
    // Detach and DELETE are this certificate's only POST and DELETE once deletion starts.
    s.simulator.addFault({ fault: { kind: 'reset' }, method: 'POST', certificateId: detachReset! });
    s.simulator.addFault({
      fault: { kind: 'serverError' },
      method: 'DELETE',
      certificateId: delete5xx!,
    });
    for (const method of ['POST', 'DELETE']) {
      s.simulator.addFault({
        fault: { kind: 'reset' },
        method,
        certificateId: answerLost!,
        times: 1,
        after: true,
      });
    }
    for (const name of names) await deleteResource(s, name);

    // Applied with the answer lost: the retry meets 404 / "no valid domain" and counts it done.
    await waitDeleted(s, 'answer-lost');
    expect(s.simulator.certificate(answerLost!)).toBeUndefined();
    expect(calls(answerLost!, 'delete').map((r) => [r.status, r.errorCode])).toEqual([
      [0, undefined],
      [404, 'APIG.3025'],
    ]);
    expect(calls(answerLost!, 'detach')[0]).toMatchObject({ status: 0, applied: true });

    const cleanupFailed = (name: string) =>
      eventually(`${name} Ready=False (CleanupFailed)`, async () => {
        const resource = await s.getCertificate(name);
        const ready = resource.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'False' && ready.reason === 'CleanupFailed' ? resource : undefined;
      });
    const [resetFailed, serverFailed] = await Promise.all([
      cleanupFailed('detach-reset'),
      cleanupFailed('delete-5xx'),
    ]);
    // The cause: the network error's code (the connection was reset before any answer).
    expect(resetFailed.status?.lastError?.code).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
    expect(serverFailed.status?.lastError).toMatchObject({ code: 'APIG.9999', httpStatus: 500 });
    const event = await eventually('a CleanupFailed event naming APIG.9999', async () =>
      (await s.events('delete-5xx')).find((e) => e.reason === 'CleanupFailed'),
    );
    expect(event.message).toContain('APIG.9999');
    // The detach went through before the DELETE failed: a retry does not need it again.
    expect(
      s.simulator.domains().find((d) => d.domain === 'delete-5xx.example.com')?.certificateId,
    ).toBeUndefined();

    // Backoff, not a hot loop: exponential from 1 s allows a handful in 8 s.
    const before = [calls(detachReset!, 'detach').length, calls(delete5xx!, 'delete').length];
    await sleep(8_000);
    const during = [
      calls(detachReset!, 'detach').length - before[0]!,
      calls(delete5xx!, 'delete').length - before[1]!,
    ];
    for (const attempts of during) {
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(attempts).toBeLessThanOrEqual(5);
    }
    expect(s.simulator.certificate(detachReset!)).toBeDefined();
    expect(s.simulator.certificate(delete5xx!)).toBeDefined();

    s.simulator.clearFaults();
    await waitDeleted(s, 'detach-reset', 60_000);
    await waitDeleted(s, 'delete-5xx', 60_000);
    expect(s.simulator.certificate(detachReset!)).toBeUndefined();
    expect(s.simulator.certificate(delete5xx!)).toBeUndefined();
    await operator.stop();
  });

  it('leaks nothing: no private key, password, token or credential in logs, Events, status or /metrics', async () => {
    expect(await leaks.findings()).toEqual([]);
  });
});

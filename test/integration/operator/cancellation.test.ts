// Two replicas, PUTs queued behind the APIG rate limit: when the leader gets
// SIGTERM or loses its Lease, what it has not sent yet is never sent, and
// every resource ends up synced exactly once across both replicas.
import { KubeClient } from '../../../src/kube/kube-client.ts';
import { toMicroTime } from '../../../src/kube/lease.ts';
import { LEASES, objectPath } from '../../../src/kube/resources.ts';
import { testKubeConfig } from '../../support/kube.ts';
import type { LogLine, OperatorProcess } from '../../support/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { createScenario, sleep, type Scenario } from '../../support/scenario.ts';

const LEASE_NAME = 'apig-cert-operator-leader';
/** One PUT every 2 s and no burst: a first pass over several resources queues behind it. */
const SLOW_APIG = { APIG_RATE_LIMIT: '0.5', APIG_RATE_BURST: '1' };
/** pino's level numbers. */
const WARN = 40;

let s: Scenario;
const operators: OperatorProcess[] = [];

const isLeaderLine = (l: LogLine) => l.msg === 'became leader';
const leads = (o: OperatorProcess) => o.logs.some(isLeaderLine);
const syncedLines = (o: OperatorProcess, names: readonly string[]) =>
  o.logs.filter(
    (l) =>
      l.msg === 'reconciled' &&
      l.result === 'synced' &&
      names.some((n) => l.resource === `${s.namespace}/${n}`),
  ).length;
/** Every PUT APIG received for the certificate, answered or not. */
const putsReceived = (id: string) =>
  s.simulator.requests().filter((r) => r.method === 'PUT' && r.certificateId === id);

function start(): OperatorProcess {
  const operator = s.startOperator(SLOW_APIG);
  operators.push(operator);
  return operator;
}

async function whenReady(operator: OperatorProcess): Promise<void> {
  await eventually('the replica to be ready', async () =>
    (await operator.probe('/readyz')) === 200 ? true : undefined,
  );
}

/** Creates the resources at once, so the leader's PUTs queue behind the rate limit. */
async function createAll(names: readonly string[]): Promise<void> {
  for (const name of names) await s.writeTlsSecret(`${name}-tls`, await s.issue());
  await Promise.all(
    names.map((name) => s.createCertificate(name, { certificateId: `cert-${name}` })),
  );
}

async function firstPutAnswered(names: readonly string[]): Promise<void> {
  await eventually('APIG to accept a first PUT', () =>
    Promise.resolve(names.some((n) => s.simulator.successfulPuts(`cert-${n}`).length > 0)),
  );
}

/** PUT arrivals for `names` strictly between the two instants. */
function putsBetween(names: readonly string[], fromMs: number, toMs: number): number {
  return names
    .flatMap((n) => putsReceived(`cert-${n}`))
    .filter((r) => r.time.getTime() > fromMs && r.time.getTime() < toMs).length;
}

async function expectEachSyncedOnce(names: readonly string[]): Promise<void> {
  for (const name of names) await s.waitForReady(name, 'True', 'Synced', 60_000);
  await sleep(1_000);
  expect(names.map((n) => putsReceived(`cert-${n}`).length)).toEqual(names.map(() => 1));
  expect(operators.reduce((sum, o) => sum + syncedLines(o, names), 0)).toBe(names.length);
}

/** No warning about a failed reconcile: a cancelled one is not a failure. */
function failureWarnings(operator: OperatorProcess): LogLine[] {
  return operator.logs.filter(
    (l) => l.level >= WARN && l.msg === 'reconcile failed; retrying with backoff',
  );
}

function logTime(line: LogLine): number {
  return line.time as number;
}

beforeAll(async () => {
  s = await createScenario('cancel');
});

afterAll(async () => {
  await s.close();
});

describe('cancellation of queued work', () => {
  let leader: OperatorProcess;
  let follower: OperatorProcess;

  it('starts two replicas, one leading', async () => {
    const [a, b] = [start(), start()];
    leader = await eventually('a leader', () => Promise.resolve(operators.find(leads)));
    follower = leader === a ? b : a;
    await whenReady(follower);
  });

  it('sends nothing still queued after SIGTERM, and the new leader syncs the rest once', async () => {
    const names = ['sig-a', 'sig-b', 'sig-c', 'sig-d', 'sig-e'];
    await createAll(names);
    await firstPutAnswered(names);
    const signalledAt = Date.now();
    const stopped = await leader.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    const took = await follower.waitForLog(isLeaderLine, 15_000);
    // A PUT already on its way arrives within moments; anything later came from a queue.
    expect(putsBetween(names, signalledAt + 500, logTime(took))).toBe(0);
    await expectEachSyncedOnce(names);
    expect(failureWarnings(leader)).toEqual([]);
    expect(leader.logs.some((l) => l.msg === 'reconcile cancelled')).toBe(true);
    [leader, follower] = [follower, start()];
    await whenReady(follower);
  });

  it('sends nothing still queued once the Lease is lost, and the new leader syncs the rest once', async () => {
    const names = ['lease-a', 'lease-b', 'lease-c', 'lease-d', 'lease-e'];
    await createAll(names);
    await firstPutAnswered(names);
    // Another holder takes the Lease: the leader sees it at its next renewal.
    const now = toMicroTime(Date.now());
    await new KubeClient(testKubeConfig()).json({
      method: 'PATCH',
      path: objectPath(LEASES, s.namespace, LEASE_NAME),
      contentType: 'application/merge-patch+json',
      body: { spec: { holderIdentity: 'intruder', acquireTime: now, renewTime: now } },
    });
    const lost = await leader.waitForLog((l) => l.msg === 'leadership lost', 10_000);
    const exited = await leader.stop('SIGTERM');
    expect(exited.code).toBe(1);
    const took = await follower.waitForLog(isLeaderLine, 30_000);
    expect(putsBetween(names, logTime(lost) + 500, logTime(took))).toBe(0);
    await expectEachSyncedOnce(names);
    expect(failureWarnings(leader)).toEqual([]);
  });
});

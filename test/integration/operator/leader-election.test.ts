// Two or more operator processes on one Lease: exactly one writes, a SIGTERM
// hands over at once, a SIGKILL within the lease duration, and no handover
// sends anything twice.
import { CoordinationV1Api } from '@kubernetes/client-node';
import { issueCertificate, sharedKeyPair, type IssuedCertificate } from '../../support/certs.ts';
import { testKubeConfig } from '../../support/kube.ts';
import type { LogLine, OperatorProcess } from '../../support/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { createScenario, sleep, type Scenario } from '../../support/scenario.ts';
import { findLeaks } from './leak-scan.ts';

/** LeaderElector's default lease duration. */
const LEASE_DURATION_MS = 15_000;
const LEASE_NAME = 'apig-cert-operator-leader';
const RESOURCES = ['alpha', 'bravo', 'charlie', 'delta'];

let s: Scenario;
const operators: OperatorProcess[] = [];

const decimal = (hex: string) => BigInt(`0x${hex}`).toString(10);
const puts = (id: string) => s.simulator.successfulPuts(id).length;
const totalPuts = () => s.simulator.successfulPuts().length;
const isLeaderLine = (l: LogLine) => l.msg === 'became leader';
const leads = (o: OperatorProcess) => o.logs.some(isLeaderLine);
/** Resources an operator has reconciled (any result). */
const reconciled = (o: OperatorProcess) =>
  new Set(o.logs.filter((l) => l.msg === 'reconciled').map((l) => l.resource as string));
const syncedLines = (o: OperatorProcess) =>
  o.logs.filter((l) => l.msg === 'reconciled' && l.result === 'synced').length;

function start(): OperatorProcess {
  const operator = s.startOperator();
  operators.push(operator);
  return operator;
}

async function certificate(): Promise<IssuedCertificate> {
  return issueCertificate({
    commonName: 'shop.example.com',
    key: { kind: 'EC' },
    keyPair: await sharedKeyPair({ kind: 'EC' }),
  });
}

async function leaseHolder(): Promise<string | undefined> {
  const lease = await testKubeConfig()
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: LEASE_NAME, namespace: s.namespace });
  return lease.spec?.holderIdentity;
}

async function rotate(name: string): Promise<void> {
  const cert = await certificate();
  await s.writeTlsSecret(`${name}-tls`, cert);
  await eventually(`APIG to hold the rotation of ${name}`, () =>
    Promise.resolve(
      s.simulator.certificate(`cert-${name}`)?.serialNumber === decimal(cert.serialNumber),
    ),
  );
}

/** Waits until `operator` has reconciled every resource, i.e. its first pass as leader is done. */
async function waitForFirstPass(operator: OperatorProcess): Promise<void> {
  await eventually('the new leader to reconcile every resource', () =>
    Promise.resolve(RESOURCES.every((r) => reconciled(operator).has(`${s.namespace}/${r}`))),
  );
}

beforeAll(async () => {
  s = await createScenario('leader');
});

afterAll(async () => {
  await s.close();
});

describe('leader election', () => {
  let leader: OperatorProcess;
  let follower: OperatorProcess;

  it('lets exactly one of two replicas lead', async () => {
    const [a, b] = [start(), start()];
    const first = await eventually('a leader', () => Promise.resolve(operators.find(leads)));
    // The other keeps trying every ~2 s; give it several tries to (wrongly) succeed.
    await sleep(5_000);
    expect([a, b].filter(leads)).toEqual([first]);
    leader = first;
    follower = first === a ? b : a;
    const identity = leader.logs.find(isLeaderLine)?.identity;
    expect(await leaseHolder()).toBe(identity);
  });

  it('syncs N resources with exactly N PUTs, all from the leader', async () => {
    for (const name of RESOURCES) {
      await s.writeTlsSecret(`${name}-tls`, await certificate());
      await s.createCertificate(name, { certificateId: `cert-${name}` });
    }
    for (const name of RESOURCES) await s.waitForReady(name);
    await sleep(1_000);
    expect(RESOURCES.map((r) => puts(`cert-${r}`))).toEqual(RESOURCES.map(() => 1));
    expect(totalPuts()).toBe(RESOURCES.length);
    expect(syncedLines(leader)).toBe(RESOURCES.length);
    expect(reconciled(follower).size).toBe(0);
  });

  it('keeps the follower ready (caches synced) while idle', async () => {
    expect(await follower.probe('/readyz')).toBe(200);
    expect(await leader.probe('/readyz')).toBe(200);
  });

  it('finishes an in-flight PUT on SIGTERM, hands over at once, and nothing is sent twice', async () => {
    // The rotation's PUT takes 3 s; SIGTERM arrives while it is on its way.
    s.simulator.addFault({
      fault: { kind: 'latency', ms: 3_000 },
      method: 'PUT',
      certificateId: 'cert-alpha',
      times: 1,
    });
    const rotated = await certificate();
    await s.writeTlsSecret('alpha-tls', rotated);
    await sleep(1_500);
    const stopped = await leader.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    const releasedAt = Date.now();
    await follower.waitForLog(isLeaderLine, 15_000);
    // The lease was released: no waiting out its 15 s.
    expect(Date.now() - releasedAt).toBeLessThan(8_000);
    await waitForFirstPass(follower);
    await eventually('APIG to hold the rotation', () =>
      Promise.resolve(
        s.simulator.certificate('cert-alpha')?.serialNumber === decimal(rotated.serialNumber),
      ),
    );
    await s.waitForReady('alpha');
    await sleep(1_000);
    expect(puts('cert-alpha')).toBe(2);
    expect(totalPuts()).toBe(RESOURCES.length + 1);

    // The new leader writes: a rotation is sent exactly once.
    await rotate('charlie');
    await sleep(1_000);
    expect(puts('cert-charlie')).toBe(2);
    expect(totalPuts()).toBe(RESOURCES.length + 2);
    [leader, follower] = [follower, start()];
  });

  it('takes over from a killed leader within the lease duration, without a duplicate PUT', async () => {
    await follower.waitForLog((l) => l.msg === 'leader observed');
    await eventually('the new follower to be ready', async () =>
      (await follower.probe('/readyz')) === 200 ? true : undefined,
    );
    const killed = await leader.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const killedAt = Date.now();
    await follower.waitForLog(isLeaderLine, LEASE_DURATION_MS + 10_000);
    const takeoverMs = Date.now() - killedAt;
    // Not before the dead leader's lease ran out (its last renewal was at most ~2 s before the kill) ...
    expect(takeoverMs).toBeGreaterThan(10_000);
    // ... and not much after.
    expect(takeoverMs).toBeLessThan(LEASE_DURATION_MS + 8_000);
    await waitForFirstPass(follower);
    await sleep(500);
    expect(totalPuts()).toBe(RESOURCES.length + 2);

    await rotate('bravo');
    await sleep(1_000);
    expect(puts('cert-bravo')).toBe(2);
    expect(totalPuts()).toBe(RESOURCES.length + 3);
    // Every successful PUT is one 'synced' reconcile of some replica: none twice.
    expect(operators.reduce((n, o) => n + syncedLines(o), 0)).toBe(totalPuts());
  });

  it('never shows a private key or the token in logs, events or status', async () => {
    expect(await findLeaks({ scenario: s, operators, secrets: [s.token] })).toEqual([]);
  });
});

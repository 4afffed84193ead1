// Fault suite, operator side: the process killed (SIGKILL) while a PUT is in
// flight, or between a POST APIG applied and its answer, and the leader of two
// replicas killed. Each case ends with every
// resource Ready, APIG holding exactly each Secret's certificate, and no PUT
// of a content the operator had seen accepted.
import { jest } from '@jest/globals';
import type { LogLine } from '../support/operator.ts';
import { eventually } from '../support/eventually.ts';
import { certificatesNamed, deleteResource, isCreate, waitDeleted } from '../support/by-name.ts';
import { writeSecret } from './support/secrets.ts';
import { onePutPerContent, putAccount, resentAfterAccepted } from './support/put-rules.ts';
import { metricValue } from '../support/metrics-text.ts';
import { operatorEnv } from './support/replicas.ts';
import { useFaultSuite } from './support/suite.ts';

jest.setTimeout(180_000);

/** The operator's Lease timing (client-go defaults): duration 15 s, retry every 2 s (+20 % jitter). */
const LEASE_MS = 15_000;
const RETRY_MS = 2_000 * 1.2;

const suite = useFaultSuite();
const { leaks } = suite;
const start = (env: Record<string, string>) => suite.operator(env);

const becameLeader = (l: LogLine): boolean => l.msg === 'became leader';

describe('operator faults', () => {
  it('operator killed (SIGKILL) mid-PUT and started again: converges with at most one repeat PUT, for the interrupted resource only', async () => {
    const ak = 'FAULTSUITEAK0000000001';
    const sk = 'fault-suite-secret-key-0123456789abcdef';
    const { s, tap, fleet } = await suite.fleet('crash', 4, { accessKeys: [{ ak, sk }] });
    leaks.addCredential('the SK', sk);
    const env = operatorEnv(s, {
      APIG_AUTH_TOKEN: undefined,
      APIG_ENDPOINT: tap.url,
      HUAWEICLOUD_SDK_AK: ak,
      HUAWEICLOUD_SDK_SK: sk,
    });
    const first = start(env);
    await fleet.waitConverged();

    // APIG takes 4 s over the rotated certificate; the operator dies meanwhile.
    const interrupted = fleet.member('crash-0').certificateId;
    s.simulator.addFault({
      fault: { kind: 'latency', ms: 4_000 },
      method: 'PUT',
      certificateId: interrupted,
      times: 1,
    });
    await fleet.rotate(['crash-0']);
    await eventually('the PUT of crash-0 in flight', () =>
      Promise.resolve(tap.inFlight().some((e) => e.certificateId === interrupted)),
    );
    await leaks.scrapeMetrics('before SIGKILL', first);
    await first.stop('SIGKILL');
    const killedAt = Date.now();
    // While no operator runs, another Secret changes.
    await fleet.rotate(['crash-1']);

    const second = start(env);
    await second.waitForLog(becameLeader, LEASE_MS + 4 * RETRY_MS + 10_000);
    await fleet.waitConverged();
    await leaks.scrapeMetrics('after the restart', second);

    // The interrupted PUT reached APIG but its answer never reached the
    // operator: the new process sends it once more, and nothing else again.
    const putsOfInterrupted = tap.puts(interrupted);
    expect(putsOfInterrupted.filter((e) => e.sentAt < killedAt).at(-1)?.status).toBeUndefined();
    expect(putsOfInterrupted.filter((e) => e.sentAt > killedAt)).toHaveLength(1);
    const account = putAccount(tap.exchanges, s.simulator, interrupted);
    expect(account.applied - account.contents).toBeLessThanOrEqual(1);
    expect(resentAfterAccepted(tap.exchanges)).toEqual([]);
    const others = fleet.members.map((m) => m.certificateId).filter((id) => id !== interrupted);
    expect(onePutPerContent(tap.exchanges, s.simulator, others)).toEqual([]);
    await second.stop();
  });

  it('operator killed (SIGKILL) after APIG applied its POST, before the answer: the next process adopts that certificate as created, POSTs nothing, and Delete deletes it', async () => {
    const { s, tap } = await suite.scenario('post-crash');
    const env = operatorEnv(s, { APIG_ENDPOINT: tap.url });
    await writeSecret(s, leaks, 'fresh', 'fresh.example.com');
    // Far longer than the SIGKILL takes: the answer must not reach the first process.
    s.simulator.addFault({
      fault: { kind: 'holdAnswer', ms: 10_000 },
      method: 'POST',
      times: 1,
      after: true,
    });
    const first = start(env);
    await s.createCertificate('fresh', { name: 'fresh_cert', deletionPolicy: 'Delete' });
    const [held] = await eventually('APIG to hold fresh_cert', async () => {
      const found = await certificatesNamed(s, 'fresh_cert');
      return found.length > 0 ? found : undefined;
    });
    // The intent was written before the POST was sent.
    const before = await s.getCertificate('fresh');
    expect(before.status?.pendingCreate).toEqual({
      name: 'fresh_cert',
      type: 'global',
      projectId: s.simulator.projectId,
    });
    expect(before.status?.certificateId).toBeUndefined();
    expect(tap.exchanges.filter(isCreate).map((e) => e.status)).toEqual([undefined]);
    await first.stop('SIGKILL');

    const second = start(env);
    await second.waitForLog(becameLeader, LEASE_MS + 4 * RETRY_MS + 10_000);
    const ready = await s.waitForReady('fresh', 'True', undefined, 60_000);
    expect(ready.status).toMatchObject({ certificateId: held!.id, created: true });
    expect(ready.status?.pendingCreate).toBeUndefined();
    expect(await certificatesNamed(s, 'fresh_cert')).toEqual([held]);
    expect(tap.exchanges.filter(isCreate)).toHaveLength(1);

    await deleteResource(s, 'fresh');
    await waitDeleted(s, 'fresh');
    expect(s.simulator.certificate(held!.id)).toBeUndefined();
    await second.stop();
  });

  it('two replicas, the leader killed (SIGKILL): the other takes over within the lease duration and sends each content once', async () => {
    const { s, tap, fleet } = await suite.fleet('ha', 6);
    const env = operatorEnv(s, { APIG_ENDPOINT: tap.url });
    const leader = start(env);
    await leader.waitForLog(becameLeader);
    const follower = start(env);
    await follower.waitForLog((l) => l.msg === 'leader observed');
    await fleet.waitConverged();
    expect(
      metricValue(await leaks.scrapeMetrics('leader', leader), 'apig_cert_operator_leader'),
    ).toBe(1);
    expect(
      metricValue(await leaks.scrapeMetrics('follower', follower), 'apig_cert_operator_leader') ??
        0,
    ).toBe(0);

    await leader.stop('SIGKILL');
    const killedAt = Date.now();
    // Changes while nobody leads: the follower has them in its cache, and must not act yet.
    await fleet.rotate(['ha-0', 'ha-1', 'ha-2']);
    const takeover = await follower.waitForLog(becameLeader, LEASE_MS + 2 * RETRY_MS + 10_000);
    const takeoverMs = (takeover.time as number) - killedAt;
    await fleet.waitConverged();

    // Not before the lease could have expired (the leader renewed at most
    // one retry period before it died), and within the lease duration plus
    // two retry periods (seeing the last renewal, then trying again) and slack.
    expect(takeoverMs).toBeGreaterThanOrEqual(LEASE_MS - RETRY_MS - 500);
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 2 * RETRY_MS + 2_000);
    const putsWhileLeaderless = tap.exchanges.filter(
      (e) => e.method === 'PUT' && e.sentAt > killedAt && e.sentAt < (takeover.time as number),
    );
    expect(putsWhileLeaderless).toEqual([]);
    expect(
      metricValue(await leaks.scrapeMetrics('new leader', follower), 'apig_cert_operator_leader'),
    ).toBe(1);
    expect(
      onePutPerContent(
        tap.exchanges,
        s.simulator,
        fleet.members.map((m) => m.certificateId),
      ),
    ).toEqual([]);
    expect(fleet.members.map((m) => s.simulator.successfulPuts(m.certificateId).length)).toEqual([
      2, 2, 2, 1, 1, 1,
    ]);
    await follower.stop();
  });

  it('leaks nothing: no private key, SK, token or credential in logs, Events, status or /metrics', async () => {
    expect(await leaks.findings()).toEqual([]);
  });
});

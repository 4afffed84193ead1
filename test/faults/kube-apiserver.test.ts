// Fault suite, Kubernetes side: the kube-apiserver killed and restarted,
// frozen, a watch that goes silent, and watches answered 410 Gone. Each case
// ends with every resource Ready, APIG holding exactly each Secret's
// certificate and key, and one stored PUT per distinct content.
import { jest } from '@jest/globals';
import { FaultProxy } from '../integration/kube/fault-proxy.ts';
import { testKubeConfig } from '../support/kube.ts';
import { eventually } from '../support/eventually.ts';
import type { Fleet } from './support/fleet.ts';
import { onePutPerContent, putAccount } from './support/put-rules.ts';
import { operatorEnv, proxyKubeconfig, Replica, watchRestarts } from './support/replicas.ts';
import { useFaultSuite, type FleetSetup } from './support/suite.ts';

/**
 * ApigCertificates, Secrets, ConfigMaps and ApigProviders (the scenario sets
 * WATCH_NAMESPACES, so ClusterApigProviders are not watched).
 */
const OPERATOR_WATCHES = 4;

jest.setTimeout(180_000);

/** WATCH_INACTIVITY_TIMEOUT where a case exercises the watchdog. */
const WATCHDOG_MS = 5_000;
/** Time a change may take beyond the bound under test: LIST, reconcile, a loaded machine. */
const SLACK_MS = 5_000;

const suite = useFaultSuite();
const { leaks } = suite;

const ids = (fleet: Fleet): string[] => fleet.members.map((m) => m.certificateId);

function signalApiserver(signal: NodeJS.Signals): void {
  const pid = suite.controlPlane().controlPlane.apiserverPid;
  if (pid === undefined) throw new Error('kube-apiserver is not running');
  process.kill(pid, signal);
}

describe('kube-apiserver faults', () => {
  let direct: FleetSetup;
  let replica: Replica;

  it('kube-apiserver killed (SIGKILL) and restarted while Secrets change: every change synced once', async () => {
    direct = await suite.fleet('kill', 6);
    const { s, tap, fleet } = direct;
    replica = new Replica(
      operatorEnv(s, { APIG_ENDPOINT: tap.url, WATCH_INACTIVITY_TIMEOUT: `${WATCHDOG_MS}ms` }),
      leaks,
    );
    suite.onCleanup(() => replica.stop('SIGKILL'));
    await fleet.waitConverged();

    // Just before the kill: two Secrets change, and APIG holds the first PUT
    // so that it is answered while the apiserver is down: APIG has the
    // certificate, the status that records it cannot be written.
    const held = fleet.member('kill-0').certificateId;
    s.simulator.addFault({
      fault: { kind: 'latency', ms: 1_500 },
      method: 'PUT',
      certificateId: held,
      times: 1,
    });
    await fleet.rotate(['kill-0', 'kill-1']);
    await eventually('the PUT of kill-0 in flight', () =>
      Promise.resolve(tap.inFlight().some((e) => e.certificateId === held)),
    );
    signalApiserver('SIGKILL');
    const downAt = Date.now();
    await replica.current.waitForLog(
      (l) =>
        l.resource === `${s.namespace}/kill-0` &&
        l.msg === 'reconcile failed; retrying with backoff',
    );
    expect(tap.puts(held).at(-1)?.status).toBe(200);
    await suite.controlPlane().controlPlane.restartApiserver();
    const downMs = Date.now() - downAt;

    // Right after it returns: two more change.
    await fleet.rotate(['kill-2', 'kill-3']);
    await fleet.waitConverged(120_000);
    await leaks.scrapeMetrics('after the apiserver restart', replica.current);

    // The operator keeps its lease through an outage shorter than the renew
    // deadline (10 s) and then sends nothing twice. On a slow machine the
    // outage can outlast it: the replica exits (as designed) and is started
    // again, and what it had not recorded yet (the two Secrets changed just
    // before the kill) may be sent once more, as after any crash.
    const changedBeforeKill = ['kill-0', 'kill-1'].map((n) => fleet.member(n).certificateId);
    const lostLease = replica.exits.length > 0;
    expect(replica.exits.every((exit) => exit.code === 1)).toBe(true);
    const strict = lostLease
      ? ids(fleet).filter((id) => !changedBeforeKill.includes(id))
      : ids(fleet);
    expect({
      downMs,
      lostLease,
      findings: onePutPerContent(tap.exchanges, s.simulator, strict),
    }).toEqual({ downMs, lostLease, findings: [] });
    for (const id of changedBeforeKill) {
      const account = putAccount(tap.exchanges, s.simulator, id);
      expect(account.applied - account.contents).toBeLessThanOrEqual(lostLease ? 1 : 0);
    }
    expect(
      fleet.members.map((m) => putAccount(tap.exchanges, s.simulator, m.certificateId).contents),
    ).toEqual([2, 2, 2, 2, 1, 1]);
  });

  it('kube-apiserver frozen (SIGSTOP) for less than the renew deadline: open watches are abandoned, nothing is lost or repeated', async () => {
    const { s, tap, fleet } = direct;
    const operator = replica.current;
    const exitsBefore = replica.exits.length;
    const stalls = (text: string): number =>
      (['apigcertificates', 'secrets', 'configmaps'] as const)
        .map((r) => watchRestarts(text, r, 'stalled'))
        .reduce((a, b) => a + b, 0);
    const stallsBefore = stalls(await operator.metrics());

    // Frozen until the watchdog gives up on a watch (a watch caught in a LIST
    // waits for the LIST's own timeout instead); the lease survives that.
    signalApiserver('SIGSTOP');
    try {
      // /metrics is served by the operator itself, so it answers while the apiserver is frozen.
      await eventually(
        'a watch aborted by the watchdog',
        async () => stalls(await operator.metrics()) > stallsBefore,
        // Short of the renew deadline (10 s, counted from a renewal up to 2 s before).
        WATCHDOG_MS + 2_000,
      );
    } finally {
      signalApiserver('SIGCONT');
    }

    const written = Date.now();
    await fleet.rotate(['kill-4']);
    await fleet.waitConverged(WATCHDOG_MS + SLACK_MS);
    const put = tap.puts(fleet.member('kill-4').certificateId).at(-1)!;
    expect(put.sentAt - written).toBeLessThan(WATCHDOG_MS + SLACK_MS);
    await leaks.scrapeMetrics('after SIGSTOP', operator);
    expect(replica.exits).toHaveLength(exitsBefore);
    expect(onePutPerContent(tap.exchanges, s.simulator, ids(fleet))).toEqual([]);
    await replica.stop();
  });

  it('a watch that stalls silently (connection open, nothing delivered): the watchdog relists and the change syncs within its bound', async () => {
    const { s, tap, fleet } = await suite.fleet('stall', 3);
    const proxy = await FaultProxy.start(testKubeConfig());
    suite.onCleanup(() => proxy.close());
    const kubeconfig = await proxyKubeconfig(suite.controlPlane().info.dir, proxy.url, 'stall');
    const operator = suite.operator(
      operatorEnv(s, {
        KUBECONFIG: kubeconfig,
        APIG_ENDPOINT: tap.url,
        WATCH_INACTIVITY_TIMEOUT: `${WATCHDOG_MS}ms`,
      }),
    );
    await fleet.waitConverged();
    const stallsBefore = watchRestarts(await operator.metrics(), 'secrets', 'stalled');

    // From now on every watch stream stays open and delivers nothing: without
    // a watchdog the change below would wait for the 30-minute relist.
    proxy.stallWatches(true);
    const written = Date.now();
    await fleet.rotate(['stall-0']);
    await fleet.waitConverged(WATCHDOG_MS + SLACK_MS + 10_000);
    const put = tap.puts(fleet.member('stall-0').certificateId).at(-1)!;
    expect(put.sentAt - written).toBeLessThan(WATCHDOG_MS + SLACK_MS);
    const metrics = await leaks.scrapeMetrics('during a silent watch stall', operator);
    expect(watchRestarts(metrics, 'secrets', 'stalled')).toBeGreaterThan(stallsBefore);

    proxy.stallWatches(false);
    await fleet.rotate(['stall-1']);
    await fleet.waitConverged();
    expect(onePutPerContent(tap.exchanges, s.simulator, ids(fleet))).toEqual([]);
    await operator.stop();
  });

  it('watches answered 410 Gone: relist finds what the lost events carried, no duplicate PUTs', async () => {
    const { s, tap, fleet } = await suite.fleet('gone', 4);
    const proxy = await FaultProxy.start(testKubeConfig());
    suite.onCleanup(() => proxy.close());
    const kubeconfig = await proxyKubeconfig(suite.controlPlane().info.dir, proxy.url, 'gone');
    // The default watchdog (5 min): here only the 410 relist can bring news.
    const operator = suite.operator(
      operatorEnv(s, { KUBECONFIG: kubeconfig, APIG_ENDPOINT: tap.url }),
    );
    await fleet.waitConverged();
    const expired = async (): Promise<Record<string, number>> => {
      const text = await operator.metrics();
      return {
        apigcertificates: watchRestarts(text, 'apigcertificates', 'expired'),
        secrets: watchRestarts(text, 'secrets', 'expired'),
        configmaps: watchRestarts(text, 'configmaps', 'expired'),
        apigproviders: watchRestarts(text, 'apigproviders', 'expired'),
      };
    };

    const total = async (): Promise<number> =>
      Object.values(await expired()).reduce((a, b) => a + b, 0);
    /** Cuts every watch; the first to come back is answered 410 and relists. */
    const expireOneWatch = async (): Promise<void> => {
      // A stream cut in its first second counts as a failed watch and backs
      // off; let every stream settle first so each round is a clean 410.
      await eventually(
        'every watch settled',
        () =>
          Promise.resolve(
            proxy.openWatches === OPERATOR_WATCHES &&
              Date.now() - proxy.watchRequests().at(-1)!.at > 1_500,
          ),
        60_000,
      );
      const before = await total();
      proxy.expireNextWatch();
      proxy.cutWatches();
      await eventually('a 410 relist', async () => (await total()) > before, 30_000);
    };

    // Events are lost from here (the streams deliver nothing); then watches
    // are cut and the first to resume is answered 410, until each has relisted.
    proxy.stallWatches(true);
    await fleet.rotate(['gone-0', 'gone-1']);
    const start = await expired();
    for (let round = 1; ; round++) {
      const now = await expired();
      if (Object.keys(start).every((r) => now[r]! > start[r]!)) break;
      if (round > 20) {
        throw new Error(`not every watch relisted after 20 rounds: ${JSON.stringify(now)}`);
      }
      await expireOneWatch();
    }
    await fleet.waitConverged();
    proxy.stallWatches(false);

    // More 410s with nothing changed: relists, and not one PUT.
    const putsBefore = tap.exchanges.filter((e) => e.method === 'PUT').length;
    for (let i = 0; i < 3; i++) await expireOneWatch();
    await fleet.rotate(['gone-2']);
    await fleet.waitConverged();
    await leaks.scrapeMetrics('after 410 relists', operator);
    expect(tap.exchanges.filter((e) => e.method === 'PUT').length).toBe(putsBefore + 1);
    expect(onePutPerContent(tap.exchanges, s.simulator, ids(fleet))).toEqual([]);
    await operator.stop();
  });

  it('leaks nothing: no private key, token or credential in logs, Events, status or /metrics', async () => {
    expect(await leaks.findings()).toEqual([]);
    expect(leaks.counts.keyLines).toBeGreaterThan(0);
  });
});

// The operator as a new user first runs it: outside a cluster, with KUBECONFIG
// and the APIG settings and nothing else. Without WATCH_NAMESPACES it watches
// every namespace, so this file has a control plane of its own.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOwnControlPlane, type OwnControlPlane } from '../../support/control-plane/own.ts';
import { eventually } from '../../support/eventually.ts';
import { testKubeconfigPath } from '../../support/kube.ts';
import { startOperator, type OperatorProcess } from '../../support/operator.ts';
import { createScenario, type Scenario } from '../../support/scenario.ts';

let own: OwnControlPlane;
let s: Scenario;
const started: OperatorProcess[] = [];

beforeAll(async () => {
  own = await startOwnControlPlane();
  s = await createScenario('out-of-cluster');
}, 180_000);

afterAll(async () => {
  await Promise.all(started.map((o) => o.stop('SIGKILL')));
  await s?.close();
  await own?.stop();
}, 60_000);

/** Exactly what the README's "outside a cluster" section tells a user to set. */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    KUBECONFIG: testKubeconfigPath(),
    APIG_ENDPOINT: s.simulator.url,
    HUAWEICLOUD_SDK_PROJECT_ID: s.simulator.projectId,
    APIG_AUTH_TOKEN: s.token,
    ...extra,
  };
}

function run(env: Record<string, string>): OperatorProcess {
  const operator = startOperator(env, { testDefaults: false });
  started.push(operator);
  return operator;
}

/** The exit code of a process that stops by itself. */
async function exitCodeOf({ child }: OperatorProcess): Promise<number | null> {
  return child.exitCode ?? new Promise((resolve) => child.once('exit', resolve));
}

const ERROR = 50;

describe('outside a cluster', () => {
  it('with only KUBECONFIG and the APIG settings: leader election off, said at start; first sync and a rotation', async () => {
    const operator = run(userEnv());
    const said = await operator.waitForLog((l) => l.msg === 'leader election off');
    expect(said.decidedBy).toMatch(/^outside a cluster .*LEADER_ELECT=true/);

    await s.writeTlsSecret('shop-tls', await s.issue());
    await s.createCertificate('shop', { certificateId: 'cert-ooc', name: 'shop_cert' });
    const first = await s.waitForReady('shop');
    expect(first.status?.serialNumber).toBe(s.simulator.certificate('cert-ooc')!.serialNumber);

    await s.writeTlsSecret('shop-tls', await s.issue());
    const rotated = await eventually('the rotated serial in status', async () => {
      const r = await s.getCertificate('shop');
      return r.status?.serialNumber !== first.status?.serialNumber ? r : undefined;
    });
    expect(rotated.status?.serialNumber).toBe(s.simulator.certificate('cert-ooc')!.serialNumber);
    expect(s.simulator.successfulPuts('cert-ooc')).toHaveLength(2);
    expect(await operator.probe('/readyz')).toBe(200);
    expect(operator.logs.filter((l) => l.level >= ERROR)).toEqual([]);
    expect(await operator.stop('SIGTERM')).toMatchObject({ code: 0 });
  });

  it('LEADER_ELECT=true without LEADER_ELECTION_NAMESPACE: exit 2, the variable named', async () => {
    const operator = run(userEnv({ LEADER_ELECT: 'true' }));
    expect(await exitCodeOf(operator)).toBe(2);
    expect(operator.output()).toMatch(
      /configuration error: LEADER_ELECTION_NAMESPACE: must be set when LEADER_ELECT=true outside a cluster/,
    );
  });

  it('a Lease namespace that does not exist: an error naming it and not ready, until it is created', async () => {
    const missing = `${s.namespace}-leases`;
    const operator = run(userEnv({ LEADER_ELECT: 'true', LEADER_ELECTION_NAMESPACE: missing }));
    const error = await operator.waitForLog((l) => l.level === ERROR && l.msg.includes(missing));
    expect(error.msg).toContain(`the Lease namespace "${missing}" does not exist`);
    const readyz = await eventually('/readyz to answer', async () => operator.probe('/readyz'));
    expect(readyz).toBe(503);
    // Logged once when it starts, not at every retry.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(operator.logs.filter((l) => l.level === ERROR && l.msg.includes(missing))).toHaveLength(
      1,
    );

    await s.core.createNamespace({ body: { metadata: { name: missing } } });
    await operator.waitForLog((l) => l.msg === 'leader observed', 30_000);
    await eventually('/readyz to turn ready', async () =>
      (await operator.probe('/readyz')) === 200 ? true : undefined,
    );
    expect(await operator.stop('SIGTERM')).toMatchObject({ code: 0 });
    await s.core.deleteNamespace({ name: missing });
  });

  it('no KUBECONFIG, no ~/.kube/config, no ServiceAccount: exit 2, saying where it looked', async () => {
    const { KUBECONFIG: _, ...withoutKubeconfig } = userEnv();
    const operator = run(withoutKubeconfig);
    expect(await exitCodeOf(operator)).toBe(2);
    expect(operator.output()).toMatch(
      /configuration error: no kubeconfig found: set KUBECONFIG, write ~\/\.kube\/config, or run in a Pod/,
    );
  });

  it('an API server that never answers: warnings with backoff, and SIGTERM still exits 0 at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unreachable-'));
    const kubeconfig = join(dir, 'kubeconfig');
    // Port 9 (discard): nothing listens there, so every connection is refused.
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: gone, cluster: {server: "https://127.0.0.1:9"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: gone, context: {cluster: gone, user: u}}]',
        'current-context: gone',
      ].join('\n'),
    );
    try {
      const operator = run(userEnv({ KUBECONFIG: kubeconfig }));
      await operator.waitForLog((l) => l.msg === 'list/watch failed; retrying');
      const stopped = await operator.stop('SIGTERM');
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(5_000);
      expect(operator.logs.some((l) => l.msg === 'stopped')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Least privilege of the chart, proven on the real API server as
// test/integration/install/rbac.test.ts proves it for deploy/: the chart is
// installed with helm, and the operator runs with a TokenRequest token of the
// chart's ServiceAccount, through a recording proxy, so with exactly the
// chart's RBAC. It completes a first sync (trusted root CA from a ConfigMap
// included) and a rotation, was never refused, and used every permission the
// release grants.
import type { OperatorProcess } from '../../support/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { createScenario, type Scenario } from '../../support/scenario.ts';
import { RecordingProxy } from '../install/recording-proxy.ts';
import {
  createProofProviders,
  createTrustedRootCertificate,
  deleteProofProviders,
  expectExactlyGranted,
  expectFirstSync,
  expectProvidersChecked,
  explained as explained_,
  leaseHolder,
} from '../install/rbac-proof.ts';
import {
  grantedPermissions,
  parseManifests,
  removeScratch,
  serviceAccountKubeconfig,
} from '../install/support.ts';
import { CHART_DIR, helmOk, removeHelmHome, valueArgs } from './helm.ts';

const NAME = 'apig-helm-rbac';
const RELEASE = 'rbac';
const POD_NAME = 'apig-cert-operator-helm-rbac-test';
const INSTANCE_ID = 'inst-helm-rbac';

let s: Scenario;
let proxy: RecordingProxy;
let operator: OperatorProcess;
const explained = <T>(wait: Promise<T>) => explained_(() => operator, wait);

beforeAll(async () => {
  s = await createScenario('helm-rbac');
  // The release lives in the scenario's namespace, where the scenario's
  // operator keeps its Lease; its own name keeps its ClusterRole apart from
  // the kustomize install other files apply.
  helmOk([
    'install',
    RELEASE,
    CHART_DIR,
    '--namespace',
    s.namespace,
    ...valueArgs({ fullnameOverride: NAME }),
  ]);
  proxy = await RecordingProxy.forTestApiserver();
});

afterAll(async () => {
  await deleteProofProviders(s);
  await s.close();
  await proxy.close();
  helmOk(['uninstall', RELEASE, '--namespace', s.namespace]);
  removeScratch();
  removeHelmHome();
});

describe("the operator with exactly the chart's RBAC", () => {
  it('completes the first sync, trusted root CA from a ConfigMap included', async () => {
    await s.writeTlsSecret('shop-tls', await s.issue());
    await s.createCertificate('shop', { certificateId: 'cert-shop', name: 'shop_cert' });
    const clientCaPem = await createTrustedRootCertificate(s, INSTANCE_ID);
    await createProofProviders(s);
    operator = s.startOperator({
      KUBECONFIG: await serviceAccountKubeconfig(s.namespace, NAME, proxy.url),
      POD_NAME,
      WATCH_CLUSTER_PROVIDERS: 'true',
    });
    await expectFirstSync(s, () => operator, clientCaPem);
    await expectProvidersChecked(s);
    expect(leaseHolder(s.namespace).startsWith(`${POD_NAME}_`)).toBe(true);
  });

  it('sends a rotated certificate exactly once', async () => {
    const before = await s.getCertificate('shop');
    const rotated = await s.issue();
    await s.writeTlsSecret('shop-tls', rotated);
    const after = await explained(
      eventually('the new serial in status', async () => {
        const resource = await s.getCertificate('shop');
        return resource.status?.serialNumber !== before.status?.serialNumber ? resource : undefined;
      }),
    );
    expect(after.status?.serialNumber).toBe(s.simulator.certificate('cert-shop')!.serialNumber);
    expect(s.simulator.certificate('cert-shop')!.certContent?.trim()).toBe(rotated.chainPem.trim());
    expect(s.simulator.successfulPuts('cert-shop')).toHaveLength(2);
  });

  it('stops on SIGTERM and releases the Lease', async () => {
    expect((await operator.stop('SIGTERM')).code).toBe(0);
    expect(leaseHolder(s.namespace)).toBe('');
  });

  it('was never refused, and used every permission the release grants: none is spare', () => {
    // What the release holds, as Helm applied it.
    const manifest = helmOk(['get', 'manifest', RELEASE, '--namespace', s.namespace]).stdout;
    expectExactlyGranted(proxy.requests, grantedPermissions(parseManifests(manifest)));
  });
});

// Least privilege, proven on the real API server: deploy/ is applied for
// real, and the operator runs with a token of its ServiceAccount from the
// TokenRequest API, so with exactly the deploy/ RBAC. It completes the
// first-sync and rotation scenarios; a recording proxy shows that it was
// never refused and that it used every permission granted (none is spare);
// and the same operator with a token that lacks the RBAC says clearly what
// it may not do, and sends nothing to APIG.
import { CoreV1Api } from '@kubernetes/client-node';
import { testKubeConfig } from '../../support/kube.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { createScenario, sleep, type Scenario } from '../../support/scenario.ts';
import { RecordingProxy } from './recording-proxy.ts';
import {
  createProofProviders,
  createTrustedRootCertificate,
  deleteProofProviders,
  expectExactlyGranted,
  expectFirstSync,
  expectProvidersChecked,
  leaseHolder,
} from './rbac-proof.ts';
import {
  DEPLOY_DIR,
  LEASE_NAME,
  OPERATOR_NAMESPACE,
  SERVICE_ACCOUNT,
  grantedPermissions,
  installDeploy,
  kubectlOk,
  kustomize,
  parseManifests,
  removeScratch,
  serviceAccountKubeconfig,
} from './support.ts';
import { APIG_CERTIFICATE_RESOURCE } from '../../../src/api/v1alpha1.ts';

const POD_NAME = 'apig-cert-operator-rbac-test';
const INSTANCE_ID = 'inst-rbac';

let s: Scenario;
let proxy: RecordingProxy;
let operator: OperatorProcess;

beforeAll(async () => {
  installDeploy();
  s = await createScenario('install-rbac');
  // The operator must create the Lease, as on a fresh install.
  kubectlOk(['-n', OPERATOR_NAMESPACE, 'delete', 'lease', LEASE_NAME, '--ignore-not-found']);
  proxy = await RecordingProxy.forTestApiserver();
});

afterAll(async () => {
  await deleteProofProviders(s);
  await s.close();
  await proxy.close();
  removeScratch();
});

const puts = (id: string) => s.simulator.successfulPuts(id).length;

const operatorProcess = () => operator;

describe('the operator with exactly the deploy/ RBAC', () => {
  let clientCaPem = '';

  it('completes the first sync, trusted root CA from a ConfigMap included', async () => {
    await s.writeTlsSecret('shop-tls', await s.issue());
    await s.createCertificate('shop', { certificateId: 'cert-shop', name: 'shop_cert' });

    clientCaPem = await createTrustedRootCertificate(s, INSTANCE_ID);
    await createProofProviders(s);

    const kubeconfig = await serviceAccountKubeconfig(
      OPERATOR_NAMESPACE,
      SERVICE_ACCOUNT,
      proxy.url,
    );
    operator = s.startOperator({
      KUBECONFIG: kubeconfig,
      POD_NAME,
      LEADER_ELECTION_NAMESPACE: OPERATOR_NAMESPACE,
      WATCH_CLUSTER_PROVIDERS: 'true',
    });

    await expectFirstSync(s, operatorProcess, clientCaPem);
    await expectProvidersChecked(s);
  });

  it('holds the leader Lease in the operator namespace', () => {
    const holder = leaseHolder(OPERATOR_NAMESPACE);
    expect(holder.startsWith(`${POD_NAME}_`)).toBe(true);
  });

  it('sends a rotated certificate exactly once', async () => {
    const before = await s.getCertificate('shop');
    const rotated = await s.issue();
    await s.writeTlsSecret('shop-tls', rotated);
    const after = await eventually('the new serial in status', async () => {
      const resource = await s.getCertificate('shop');
      return resource.status?.serialNumber !== before.status?.serialNumber ? resource : undefined;
    });
    expect(after.status?.serialNumber).toBe(s.simulator.certificate('cert-shop')!.serialNumber);
    expect(s.simulator.certificate('cert-shop')!.certContent?.trim()).toBe(rotated.chainPem.trim());
    expect(puts('cert-shop')).toBe(2);
  });

  it('stops on SIGTERM and releases the Lease', async () => {
    const stopped = await operator.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    const holder = leaseHolder(OPERATOR_NAMESPACE);
    expect(holder).toBe('');
  });

  it('was never refused, and used every permission deploy/ grants: none is spare', () => {
    expectExactlyGranted(proxy.requests, grantedPermissions(parseManifests(kustomize(DEPLOY_DIR))));
  });
});

describe('the same operator without that RBAC', () => {
  it('logs which resource it may not list, never becomes ready, and sends nothing', async () => {
    const name = 'apig-cert-operator-unbound';
    await testKubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccount({ namespace: s.namespace, body: { metadata: { name } } });
    // A rotation is due: an operator allowed to work would send it.
    await s.writeTlsSecret('shop-tls', await s.issue());
    const putsBefore = puts('cert-shop');

    const unbound = s.startOperator({
      KUBECONFIG: await serviceAccountKubeconfig(s.namespace, name),
      LEADER_ELECTION_NAMESPACE: s.namespace,
    });
    const refusal = await unbound.waitForLog((line) =>
      String((line.err as { message?: unknown } | undefined)?.message).includes(
        'cannot list resource "apigcertificates" in API group "apig.certsync.io"',
      ),
    );
    expect(refusal.level).toBe(50);
    expect(refusal.msg).toContain('forbidden by RBAC');
    expect(refusal.resource).toBe(APIG_CERTIFICATE_RESOURCE.plural);
    expect(String((refusal.err as { message: string }).message)).toContain(
      `system:serviceaccount:${s.namespace}:${name}`,
    );
    for (const resource of ['secrets', 'configmaps']) {
      await unbound.waitForLog((line) =>
        String((line.err as { message?: unknown } | undefined)?.message).includes(
          `cannot list resource "${resource}"`,
        ),
      );
    }
    const lease = await unbound.waitForLog((line) =>
      String((line.err as { message?: unknown } | undefined)?.message).includes(
        'cannot get resource "leases"',
      ),
    );
    expect(lease.level).toBe(50);
    expect(lease.msg).toContain('lease forbidden by RBAC');
    expect(await unbound.probe('/readyz')).toBe(503);
    await sleep(1_000);
    expect(puts('cert-shop')).toBe(putsBefore);
    const stopped = await unbound.stop('SIGTERM');
    expect(stopped.code).toBe(0);
  });
});

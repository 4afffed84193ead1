// The namespaced install, proven on the real API server: deploy/namespaced,
// moved into a namespace the way its kustomization tells users to, applied
// for real; the operator runs with a token of that namespace's ServiceAccount
// (Roles only, no ClusterRole) and the environment the Deployment gives it,
// syncs a certificate there, and never asks for anything outside it.
import type { OperatorProcess } from '../../support/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { createScenario, type Scenario } from '../../support/scenario.ts';
import { RecordingProxy } from './recording-proxy.ts';
import { leaseHolder } from './rbac-proof.ts';
import {
  DEPLOY_DIR,
  SERVICE_ACCOUNT,
  containerEnvironment,
  grantedPermissions,
  kubectlOk,
  kustomize,
  kustomizeComposition,
  parseManifests,
  removeScratch,
  permission,
  runKubectl,
  serviceAccountKubeconfig,
  type ManifestObject,
} from './support.ts';

const POD_NAME = 'apig-cert-operator-namespaced-test';

let s: Scenario;
let proxy: RecordingProxy;
let objects: ManifestObject[];
let operator: OperatorProcess;

beforeAll(async () => {
  s = await createScenario('install-namespaced');
  const yaml = kustomizeComposition({ resources: ['namespaced'], namespace: s.namespace });
  objects = parseManifests(yaml);
  kubectlOk(['apply', '--server-side', '-f', '-'], yaml);
  proxy = await RecordingProxy.forTestApiserver();
});

afterAll(async () => {
  await s.close();
  await proxy.close();
  removeScratch();
});

/** kubectl auth can-i as the operator's ServiceAccount: 'yes' or 'no'. */
function canI(...args: string[]): string {
  const as = `system:serviceaccount:${s.namespace}:${SERVICE_ACCOUNT}`;
  return runKubectl(['auth', 'can-i', ...args, '--as', as]).stdout.trim();
}

describe('deploy/namespaced', () => {
  it('grants, in its namespace only, the permissions of the cluster-wide install', () => {
    const namespaced = grantedPermissions(objects);
    const clusterWide = grantedPermissions(parseManifests(kustomize(DEPLOY_DIR)));
    // A Role cannot grant a cluster-scoped kind: ClusterApigProviders are the ClusterRole's only.
    const namespacedKinds = [...clusterWide.keys()].filter(
      (k) => !k.includes('clusterapigproviders'),
    );
    expect([...namespaced.keys()].sort()).toEqual(namespacedKinds.sort());
    for (const grant of namespaced.values()) {
      expect(grant).toMatchObject({ kind: 'Role', namespace: s.namespace });
    }
    expect(canI('list', 'secrets', '-n', s.namespace)).toBe('yes');
    expect(canI('list', 'secrets', '-n', 'default')).toBe('no');
    expect(canI('list', 'secrets', '--all-namespaces')).toBe('no');
    expect(canI('list', 'apigcertificates.apig.certsync.io', '--all-namespaces')).toBe('no');
  });

  it('syncs a certificate in its namespace with the Deployment environment and Role-only RBAC', async () => {
    const env = containerEnvironment(objects, { name: POD_NAME, namespace: s.namespace });
    expect(env.WATCH_NAMESPACES).toBe(s.namespace);
    operator = s.startOperator({
      KUBECONFIG: await serviceAccountKubeconfig(s.namespace, SERVICE_ACCOUNT, proxy.url),
      WATCH_NAMESPACES: env.WATCH_NAMESPACES!,
      POD_NAME: env.POD_NAME!,
      POD_NAMESPACE: env.POD_NAMESPACE!,
      LEADER_ELECT: env.LEADER_ELECT!,
      LEADER_ELECTION_NAMESPACE: env.POD_NAMESPACE!,
    });
    const cert = await s.issue();
    await s.writeTlsSecret('shop-tls', cert);
    await s.createCertificate('shop', { certificateId: 'cert-shop', name: 'shop_cert' });
    const resource = await s.waitForReady('shop');
    expect(resource.status?.serialNumber).toBe(s.simulator.certificate('cert-shop')!.serialNumber);
    expect(s.simulator.certificate('cert-shop')!.certContent?.trim()).toBe(cert.chainPem.trim());
    await eventually('a Synced event', async () =>
      (await s.events('shop')).some((e) => e.reason === 'Synced'),
    );
    expect(leaseHolder(s.namespace).startsWith(`${POD_NAME}_`)).toBe(true);
    expect((await operator.stop('SIGTERM')).code).toBe(0);
  });

  it('asked only for what its Roles grant, and only in its namespace', () => {
    expect(proxy.requests.length).toBeGreaterThan(0);
    const granted = grantedPermissions(objects);
    for (const request of proxy.requests) {
      expect(request.status).not.toBe(403);
      expect(request.namespace).toBe(s.namespace);
      expect(granted.has(permission(request.verb, request.group, request.resource))).toBe(true);
    }
  });
});

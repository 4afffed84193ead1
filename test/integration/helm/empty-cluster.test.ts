// The README's Helm install into a cluster that has never seen the operator:
// a kube-apiserver of this file's own, with no CRD of ours. `helm install`
// alone creates every CRD of the chart's crds/ folder and the release's
// objects; `helm uninstall` removes the release and keeps the CRDs, so the
// users' ApigCertificates survive.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOwnControlPlane, type OwnControlPlane } from '../../support/control-plane/own.ts';
import { kubectlOk, parseManifests, removeScratch, runKubectl } from '../install/support.ts';
import { CHART_DIR, helmOk, removeHelmHome, valueArgs } from './helm.ts';

const NAMESPACE = 'apig-cert-operator';
const RELEASE = 'apig-cert-operator';
const PROJECT_ID = '0123456789abcdef0123456789abcdef';

/** The names of the CRDs the chart ships, read from its crds/ folder. */
const CHART_CRDS = readdirSync(join(CHART_DIR, 'crds'))
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => parseManifests(readFileSync(join(CHART_DIR, 'crds', file), 'utf8')))
  .map((crd) => crd.metadata.name)
  .sort();

let own: OwnControlPlane;

beforeAll(async () => {
  own = await startOwnControlPlane();
}, 180_000);

afterAll(async () => {
  removeScratch();
  removeHelmHome();
  await own?.stop();
}, 60_000);

/** The CRDs of apig.certsync.io the API server has. */
function ourCrds(): string[] {
  return kubectlOk(['get', 'crd', '-o', 'jsonpath={.items[*].metadata.name}'])
    .stdout.split(' ')
    .filter((name) => name.endsWith('.apig.certsync.io'))
    .sort();
}

function releaseObjects(): string[] {
  return kubectlOk([
    '-n',
    NAMESPACE,
    'get',
    'deployment,configmap,serviceaccount,service,poddisruptionbudget,role,rolebinding',
    '-l',
    'app.kubernetes.io/part-of=apig-cert-operator',
    '-o',
    'name',
  ])
    .stdout.split('\n')
    .filter(Boolean)
    .sort();
}

describe('helm install into an empty cluster', () => {
  it('starts with no CRD of ours', () => {
    expect(CHART_CRDS).toContain('apigcertificates.apig.certsync.io');
    expect(ourCrds()).toEqual([]);
  });

  it("the README's steps: namespace, Secret, helm install; the CRDs are created and served", () => {
    kubectlOk(['create', 'namespace', NAMESPACE]);
    kubectlOk([
      'label',
      'namespace',
      NAMESPACE,
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/enforce-version=latest',
    ]);
    kubectlOk([
      '-n',
      NAMESPACE,
      'create',
      'secret',
      'generic',
      'apig-cert-operator-credentials',
      '--from-literal=HUAWEICLOUD_SDK_AK=AKEXAMPLE',
      '--from-literal=HUAWEICLOUD_SDK_SK=sk-example',
    ]);
    const install = helmOk([
      'install',
      RELEASE,
      CHART_DIR,
      '-n',
      NAMESPACE,
      ...valueArgs({ 'config.projectId': PROJECT_ID }),
    ]);
    expect(install.stdout).toContain('STATUS: deployed');

    expect(ourCrds()).toEqual(CHART_CRDS);
    kubectlOk([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      ...CHART_CRDS.map((name) => `crd/${name}`),
    ]);
    expect(releaseObjects()).toEqual(
      [
        'configmap/apig-cert-operator-config',
        'deployment.apps/apig-cert-operator',
        'poddisruptionbudget.policy/apig-cert-operator',
        'role.rbac.authorization.k8s.io/apig-cert-operator-leader-election',
        'rolebinding.rbac.authorization.k8s.io/apig-cert-operator-leader-election',
        'service/apig-cert-operator-metrics',
        'serviceaccount/apig-cert-operator',
      ].sort(),
    );
    expect(
      kubectlOk(['get', 'clusterrole', 'apig-cert-operator', '-o', 'name']).stdout.trim(),
    ).toBe('clusterrole.rbac.authorization.k8s.io/apig-cert-operator');
    // Served: a resource of the new kind can be listed at once.
    expect(kubectlOk(['get', 'apigcertificates', '-A', '-o', 'name']).stdout).toBe('');
  });

  it('helm uninstall removes the release and keeps the CRDs', () => {
    helmOk(['uninstall', RELEASE, '-n', NAMESPACE]);
    expect(releaseObjects()).toEqual([]);
    expect(
      runKubectl(['get', 'clusterrole', 'apig-cert-operator', '--ignore-not-found', '-o', 'name'])
        .stdout,
    ).toBe('');
    expect(ourCrds()).toEqual(CHART_CRDS);
  });
});

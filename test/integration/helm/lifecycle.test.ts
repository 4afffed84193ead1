// helm install, upgrade and uninstall for real against kube-apiserver: what
// each leaves in the cluster. The release gets its own name
// (fullnameOverride) so its ClusterRole never meets the kustomize install
// other test files apply.
import { createTestNamespace } from '../../support/kube.ts';
import { CRDS_DIR, kubectlOk, removeScratch, runKubectl } from '../install/support.ts';
import { CHART_DIR, helmOk, removeHelmHome, valueArgs } from './helm.ts';

const NAME = 'apig-helm-lifecycle';
const RELEASE = 'lifecycle';
const SECRET = 'apig-helm-lifecycle-credentials';
const PROJECT_ID = '0123456789abcdef0123456789abcdef';

let namespace: string;

beforeAll(async () => {
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', CRDS_DIR]);
  namespace = await createTestNamespace('helm-lifecycle');
  // Made by the user, as the README says: the release must leave it alone.
  kubectlOk([
    '-n',
    namespace,
    'create',
    'secret',
    'generic',
    SECRET,
    '--from-literal=HUAWEICLOUD_SDK_AK=AKEXAMPLE',
    '--from-literal=HUAWEICLOUD_SDK_SK=sk-example',
  ]);
});

afterAll(() => {
  removeScratch();
  removeHelmHome();
});

const base = {
  fullnameOverride: NAME,
  'credentials.secretName': SECRET,
  'config.projectId': PROJECT_ID,
};

/** `kind/name` of what the release's objects are, as `kubectl get` names them. */
const NAMESPACED = [
  `configmap/${NAME}-config`,
  `deployment.apps/${NAME}`,
  `poddisruptionbudget.policy/${NAME}`,
  `role.rbac.authorization.k8s.io/${NAME}-leader-election`,
  `rolebinding.rbac.authorization.k8s.io/${NAME}-leader-election`,
  `service/${NAME}-metrics`,
  `serviceaccount/${NAME}`,
];
const CLUSTER = [
  `clusterrole.rbac.authorization.k8s.io/${NAME}`,
  `clusterrolebinding.rbac.authorization.k8s.io/${NAME}`,
];

function exists(object: string, inNamespace = true): boolean {
  const result = runKubectl([
    ...(inNamespace ? ['-n', namespace] : []),
    'get',
    object,
    '--ignore-not-found',
    '-o',
    'name',
  ]);
  if (result.status !== 0) throw new Error(`kubectl get ${object}: ${result.stderr}`);
  return result.stdout.trim() === object;
}

function jsonpath(object: string, path: string): string {
  return kubectlOk(['-n', namespace, 'get', object, '-o', `jsonpath=${path}`]).stdout;
}

describe('helm install, upgrade, uninstall', () => {
  it('install creates every object of the release, annotated as Helm owns it', () => {
    const result = helmOk([
      'install',
      RELEASE,
      CHART_DIR,
      '--namespace',
      namespace,
      ...valueArgs(base),
    ]);
    expect(result.stdout).toContain('STATUS: deployed');
    for (const object of NAMESPACED)
      expect({ object, exists: exists(object) }).toEqual({ object, exists: true });
    for (const object of CLUSTER)
      expect({ object, exists: exists(object, false) }).toEqual({ object, exists: true });
    expect(
      jsonpath(`deployment/${NAME}`, '{.metadata.annotations.meta\\.helm\\.sh/release-name}'),
    ).toBe(RELEASE);
    expect(jsonpath(`configmap/${NAME}-config`, '{.data.HUAWEICLOUD_SDK_PROJECT_ID}')).toBe(
      PROJECT_ID,
    );
    const status = JSON.parse(
      helmOk(['status', RELEASE, '-n', namespace, '-o', 'json']).stdout,
    ) as {
      info: { status: string };
      version: number;
    };
    expect(status).toMatchObject({ info: { status: 'deployed' }, version: 1 });
  });

  it('upgrade with changed values changes the objects, adds and removes optional ones', () => {
    helmOk([
      'upgrade',
      RELEASE,
      CHART_DIR,
      '--namespace',
      namespace,
      ...valueArgs({
        ...base,
        replicas: 3,
        'config.logLevel': 'debug',
        'config.resyncPeriod': '1h',
        'networkPolicy.enabled': true,
        'podDisruptionBudget.enabled': false,
      }),
    ]);
    expect(jsonpath(`deployment/${NAME}`, '{.spec.replicas}')).toBe('3');
    expect(jsonpath(`configmap/${NAME}-config`, '{.data.LOG_LEVEL}')).toBe('debug');
    expect(jsonpath(`configmap/${NAME}-config`, '{.data.RESYNC_PERIOD}')).toBe('1h');
    expect(exists(`networkpolicy.networking.k8s.io/${NAME}`)).toBe(true);
    expect(exists(`poddisruptionbudget.policy/${NAME}`)).toBe(false);

    helmOk(['upgrade', RELEASE, CHART_DIR, '--namespace', namespace, ...valueArgs(base)]);
    expect(jsonpath(`deployment/${NAME}`, '{.spec.replicas}')).toBe('2');
    expect(jsonpath(`configmap/${NAME}-config`, '{.data}')).not.toContain('RESYNC_PERIOD');
    expect(exists(`networkpolicy.networking.k8s.io/${NAME}`)).toBe(false);
    expect(exists(`poddisruptionbudget.policy/${NAME}`)).toBe(true);
    const history = JSON.parse(
      helmOk(['history', RELEASE, '-n', namespace, '-o', 'json']).stdout,
    ) as {
      revision: number;
      status: string;
    }[];
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'deployed'],
    ]);
  });

  it('a settings-only upgrade changes the pod template only with rollOnConfigChange', () => {
    const upgrade = (values: Record<string, unknown>) =>
      helmOk(['upgrade', RELEASE, CHART_DIR, '--namespace', namespace, ...valueArgs(values)]);
    const generation = () => jsonpath(`deployment/${NAME}`, '{.metadata.generation}');
    const checksum = () =>
      jsonpath(`deployment/${NAME}`, "{.spec.template.metadata.annotations['checksum/config']}");

    // Off (the default): the ConfigMap changes, the Deployment does not, so no pod restarts.
    const before = generation();
    upgrade({ ...base, 'config.logLevel': 'warn' });
    expect(jsonpath(`configmap/${NAME}-config`, '{.data.LOG_LEVEL}')).toBe('warn');
    expect(generation()).toBe(before);

    // On: each settings change is a new pod template, which the Deployment rolls out.
    upgrade({ ...base, 'config.logLevel': 'warn', rollOnConfigChange: true });
    const first = checksum();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    const rolled = generation();
    upgrade({ ...base, 'config.logLevel': 'debug', rollOnConfigChange: true });
    expect(checksum()).not.toBe(first);
    expect(Number(generation())).toBe(Number(rolled) + 1);
  });

  it('upgrade to keyless and back swaps the credentials volume for a projected token', () => {
    const volumes = () =>
      JSON.parse(jsonpath(`deployment/${NAME}`, '{.spec.template.spec.volumes}')) as {
        name: string;
        projected?: unknown;
        secret?: { secretName: string };
      }[];
    const keyless = {
      'auth.method': 'keyless',
      'auth.keyless.idpId': 'apig-cert-operator-idp',
      'auth.keyless.iamEndpoint': 'https://iam.cn-north-4.myhuaweicloud.com',
      'auth.keyless.audience': 'apig-idp-client',
    };
    helmOk(['upgrade', RELEASE, CHART_DIR, '-n', namespace, ...valueArgs({ ...base, ...keyless })]);
    expect(volumes()).toEqual([
      {
        name: 'id-token',
        projected: {
          defaultMode: 288,
          sources: [
            {
              serviceAccountToken: {
                audience: 'apig-idp-client',
                expirationSeconds: 3600,
                path: 'token',
              },
            },
          ],
        },
      },
    ]);
    expect(jsonpath(`deployment/${NAME}`, '{.spec.template.spec.containers[0].env}')).toContain(
      'HUAWEICLOUD_SDK_ID_TOKEN_FILE',
    );

    helmOk(['upgrade', RELEASE, CHART_DIR, '-n', namespace, ...valueArgs(base)]);
    expect(volumes()).toEqual([
      { name: 'credentials', secret: { secretName: SECRET, defaultMode: 288 } },
    ]);
  });

  it('uninstall removes every object of the release; the CRD and your Secret stay', () => {
    helmOk(['uninstall', RELEASE, '--namespace', namespace]);
    for (const object of NAMESPACED)
      expect({ object, exists: exists(object) }).toEqual({ object, exists: false });
    for (const object of CLUSTER)
      expect({ object, exists: exists(object, false) }).toEqual({ object, exists: false });
    // Helm's release records (Secrets of type helm.sh/release.v1) go too.
    expect(
      kubectlOk([
        '-n',
        namespace,
        'get',
        'secrets',
        '-l',
        `owner=helm,name=${RELEASE}`,
        '-o',
        'name',
      ]).stdout,
    ).toBe('');
    expect(exists(`secret/${SECRET}`)).toBe(true);
    expect(
      kubectlOk([
        'get',
        'crd',
        'apigcertificates.apig.certsync.io',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Established")].status}',
      ]).stdout,
    ).toBe('True');
  });
});
